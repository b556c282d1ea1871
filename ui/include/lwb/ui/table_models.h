// Thin read-only models over snapshots: the kernel/op summary (lazy cells over a
// KernelSummary, with a proxy filtering by name and category and sorting on raw numbers), the
// search-space editor of the Setup page (one row per knob, editable cells), and a generic table
// of precomputed cells for the small Compare tables.
#pragma once

#include "lwb/ui/setup_spec.h"
#include "lwb/ui/snapshots.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStringList>
#include <QVariant>

namespace lwb::ui {

/// Raw value of a cell, for sorting (QSortFilterProxyModel::sortRole).
inline constexpr int kSortRole = Qt::UserRole + 1;

class KernelSummaryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Category, Count, Total, Percent, Mean, Median, Min, Max, ColumnCount };
    explicit KernelSummaryModel(QObject* parent = nullptr);
    void setSummary(std::shared_ptr<const KernelSummary> summary);
    std::shared_ptr<const KernelSummary> summary() const { return m_summary; }
    const KernelSummaryRow* rowAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const KernelSummary> m_summary;
};

/// Filters kernel rows by a case-insensitive name substring and a category ("" = all).
class KernelFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit KernelFilterProxy(QObject* parent = nullptr);
    void setNameFilter(const QString& text);
    void setCategoryFilter(const QString& category);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_name;
    QString m_category;
};

/// The search space on the Setup page: Include (checkbox), Knob, Type, Low, High, Scale,
/// Choices, Fixed value, Issue. Edits change the held SetupSpec knobs and emit knobsEdited.
class SearchSpaceModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Include, Knob, Type, Low, High, Scale, Choices, Fixed, Issue, ColumnCount };
    explicit SearchSpaceModel(QObject* parent = nullptr);

    void setKnobs(std::vector<KnobSetting> knobs, std::vector<KnobInfo> infos);
    const std::vector<KnobSetting>& knobs() const { return m_knobs; }
    /// Shows the issues whose field is "search_space.<knob>" or "settings.<knob>".
    void setIssues(const std::vector<ValidationIssue>& issues);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void knobsEdited();

private:
    std::vector<KnobSetting> m_knobs;
    std::vector<KnobInfo> m_infos; ///< same order as m_knobs where known
    std::vector<std::pair<IssueSeverity, std::string>> m_issues; ///< per row; message "" = none
};

/// A small table of precomputed cells (display text, sort value, tool tip, foreground).
class CellTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    struct Cell {
        QString text;
        QVariant sort; ///< defaults to text
        QVariant foreground; ///< QColor or invalid
        QString toolTip;
        Qt::Alignment alignment = Qt::AlignLeft | Qt::AlignVCenter;
    };
    explicit CellTableModel(QObject* parent = nullptr);
    void setTable(QStringList headers, std::vector<std::vector<Cell>> rows);
    const Cell* cell(int row, int column) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QStringList m_headers;
    std::vector<std::vector<Cell>> m_rows;
};

} // namespace lwb::ui
