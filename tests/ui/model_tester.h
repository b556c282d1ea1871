// Runs QAbstractItemModelTester in warning mode and collects its "FAIL!" reports, so a broken
// model fails the GoogleTest case that exercised it (instead of aborting the whole binary).
#pragma once

#include <QAbstractItemModelTester>
#include <QStringList>

#include <memory>

namespace lwb::ui::test {

class ModelCheck {
public:
    explicit ModelCheck(QAbstractItemModel* model);
    ~ModelCheck();
    /// Tester failures since construction (empty: the model behaved).
    QStringList failures() const;

private:
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

} // namespace lwb::ui::test
