// Module-level facts of the tuner (see tuner.h).
#include "lwb/tuner/tuner.h"

namespace lwb::tuner {
int storageSchemaVersion()
{
    return tunerSchema().latestVersion();
}
} // namespace lwb::tuner
