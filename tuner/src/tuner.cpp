// Module-level facts of the tuner (see tuner.h).
#include "lwb/tuner/tuner.h"

namespace lwb::tuner {
int storageSchemaVersion() { return 0; }
} // namespace lwb::tuner
