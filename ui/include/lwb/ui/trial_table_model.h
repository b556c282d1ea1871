// The study browser's trial table: a thin model over an immutable StudySnapshot (no per-row
// items; cells are formatted when the view asks), updated by diffing snapshots so a new trial
// is one row insert and a finished trial one dataChanged, never a reset. The proxy sorts and
// filters on the raw values (no QVariant per comparison), which keeps 10,000 trials smooth.
#pragma once

#include "lwb/ui/snapshots.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

namespace lwb::ui {

class TrialTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        TrialNumberRole = Qt::UserRole + 1, ///< int
        StateRole, ///< int(TrialState)
        SortRole, ///< double (numbers) or QString
    };
    enum class ColumnKind { Number, State, Objective, Param, Duration, Note };

    explicit TrialTableModel(QObject* parent = nullptr);

    /// Shows `study`; rows are diffed against the previous snapshot of the same study.
    void setStudy(StudySnapshotPtr study);
    StudySnapshotPtr study() const { return m_study; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    ColumnKind columnKind(int column) const;
    /// The trial of a row (nullptr out of range).
    const TrialSnapshot* trialAt(int row) const;
    /// Row of a trial number, or -1.
    int rowOfTrial(int number) const;
    /// Compares two rows on a column's raw values: numbers as doubles, text as text; missing
    /// values (a failed trial's objective) sort last in `order`.
    bool lessThan(int rowA, int rowB, int column, Qt::SortOrder order) const;
    /// Does a row match one filter token? `name=value` matches a parameter exactly,
    /// `state:fail` a state prefix, anything else a substring of the row's text (case-insensitive).
    bool matches(int row, const QString& token) const;

private:
    struct Column {
        ColumnKind kind;
        int index; ///< objective or param index
    };
    void buildColumns();
    std::optional<double> numericKey(const TrialSnapshot& t, const Column& c) const;
    QString cellText(const TrialSnapshot& t, const Column& c) const;

    /// Lower-case "number state value value ... reason" of a row, built on first use.
    const std::string& searchText(int row) const;

    StudySnapshotPtr m_study;
    std::vector<Column> m_columns;
    mutable std::vector<std::string> m_searchText; ///< per row; "" = not built yet
};

/// Sorting and filtering of TrialTableModel: a state filter and a text filter of space-separated
/// tokens (all must match; `name=value` matches a parameter exactly, `state:failed` a state).
class TrialFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit TrialFilterProxy(QObject* parent = nullptr);
    /// -1: all states; else int(TrialState).
    void setStateFilter(int state);
    void setTextFilter(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    int m_state = -1;
    QStringList m_tokens;
};

} // namespace lwb::ui
