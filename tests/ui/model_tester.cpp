// ModelCheck (see model_tester.h): a process-wide message handler that keeps qt.modeltest
// warnings for the active checks and passes everything else on.
#include "model_tester.h"

#include <QLoggingCategory>
#include <QMutex>

namespace lwb::ui::test {

namespace {
QMutex g_mutex;
QStringList g_failures;
int g_active = 0;
QtMessageHandler g_previous = nullptr;

void handler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (context.category && QLatin1String(context.category) == QLatin1String("qt.modeltest")) {
        if (type == QtWarningMsg || type == QtCriticalMsg) {
            QMutexLocker lock(&g_mutex);
            g_failures << message;
        }
        return;
    }
    if (g_previous)
        g_previous(type, context, message);
}
} // namespace

ModelCheck::ModelCheck(QAbstractItemModel* model)
{
    {
        QMutexLocker lock(&g_mutex);
        if (g_active++ == 0) {
            g_failures.clear();
            g_previous = qInstallMessageHandler(handler);
        }
    }
    m_tester
        = std::make_unique<QAbstractItemModelTester>(model, QAbstractItemModelTester::FailureReportingMode::Warning);
}

ModelCheck::~ModelCheck()
{
    m_tester.reset();
    QMutexLocker lock(&g_mutex);
    if (--g_active == 0)
        qInstallMessageHandler(g_previous);
}

QStringList ModelCheck::failures() const
{
    QMutexLocker lock(&g_mutex);
    return g_failures;
}

} // namespace lwb::ui::test
