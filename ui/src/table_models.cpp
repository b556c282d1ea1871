// KernelSummaryModel, KernelFilterProxy, SearchSpaceModel and CellTableModel (see
// table_models.h).
#include "lwb/ui/table_models.h"

#include "lwb/ui/timeline_mapping.h"

#include <QColor>

#include <cmath>
#include <sstream>

namespace lwb::ui {

namespace {
QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
QString numberText(double v)
{
    std::ostringstream os;
    os.precision(8);
    os << v;
    return qs(os.str());
}
const QVariant kRight = QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
const QVariant kLeft = QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
} // namespace

// ---- KernelSummaryModel ---------------------------------------------------------------------

KernelSummaryModel::KernelSummaryModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void KernelSummaryModel::setSummary(std::shared_ptr<const KernelSummary> summary)
{
    beginResetModel();
    m_summary = std::move(summary);
    endResetModel();
}

const KernelSummaryRow* KernelSummaryModel::rowAt(int row) const
{
    if (!m_summary || row < 0 || row >= static_cast<int>(m_summary->rows.size()))
        return nullptr;
    return &m_summary->rows[static_cast<std::size_t>(row)];
}

int KernelSummaryModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_summary ? 0 : static_cast<int>(m_summary->rows.size());
}

int KernelSummaryModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant KernelSummaryModel::data(const QModelIndex& index, int role) const
{
    const KernelSummaryRow* r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r)
        return {};
    const auto col = static_cast<Column>(index.column());
    if (role == Qt::DisplayRole) {
        switch (col) {
        case Name:
            return qs(r->name);
        case Category:
            return qs(r->category);
        case Count:
            return QString::number(r->count);
        case Total:
            return qs(formatDuration(static_cast<double>(r->totalNs)));
        case Percent:
            return QString::number(r->percent, 'f', 1) + QLatin1Char('%');
        case Mean:
            return qs(formatDuration(r->meanNs));
        case Median:
            return qs(formatDuration(r->medianNs));
        case Min:
            return qs(formatDuration(static_cast<double>(r->minNs)));
        case Max:
            return qs(formatDuration(static_cast<double>(r->maxNs)));
        case ColumnCount:
            break;
        }
        return {};
    }
    if (role == kSortRole) {
        switch (col) {
        case Name:
            return qs(r->name);
        case Category:
            return qs(r->category);
        case Count:
            return static_cast<qlonglong>(r->count);
        case Total:
            return static_cast<qlonglong>(r->totalNs);
        case Percent:
            return r->percent;
        case Mean:
            return r->meanNs;
        case Median:
            return r->medianNs;
        case Min:
            return static_cast<qlonglong>(r->minNs);
        case Max:
            return static_cast<qlonglong>(r->maxNs);
        case ColumnCount:
            break;
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return col == Name || col == Category ? kLeft : kRight;
    if (role == Qt::ToolTipRole && col == Name)
        return qs(r->name);
    return {};
}

QVariant KernelSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* names[] = {"Name", "Category", "Count", "Total", "Time %", "Mean", "Median", "Min", "Max"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

KernelFilterProxy::KernelFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(kSortRole);
    setDynamicSortFilter(true);
}

void KernelFilterProxy::setNameFilter(const QString& text)
{
    if (text == m_name)
        return;
    m_name = text;
    invalidateFilter();
}

void KernelFilterProxy::setCategoryFilter(const QString& category)
{
    if (category == m_category)
        return;
    m_category = category;
    invalidateFilter();
}

bool KernelFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    auto* model = qobject_cast<const KernelSummaryModel*>(sourceModel());
    const KernelSummaryRow* r = model && !sourceParent.isValid() ? model->rowAt(sourceRow) : nullptr;
    if (!r)
        return false;
    if (!m_category.isEmpty() && qs(r->category) != m_category)
        return false;
    return m_name.isEmpty() || qs(r->name).contains(m_name, Qt::CaseInsensitive);
}

// ---- SearchSpaceModel -----------------------------------------------------------------------

SearchSpaceModel::SearchSpaceModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void SearchSpaceModel::setKnobs(std::vector<KnobSetting> knobs, std::vector<KnobInfo> infos)
{
    beginResetModel();
    m_knobs = std::move(knobs);
    m_infos.assign(m_knobs.size(), KnobInfo {});
    for (std::size_t i = 0; i < m_knobs.size(); ++i)
        for (const auto& info : infos)
            if (info.name == m_knobs[i].name)
                m_infos[i] = info;
    m_issues.assign(m_knobs.size(), {IssueSeverity::Warning, std::string()});
    endResetModel();
}

void SearchSpaceModel::setIssues(const std::vector<ValidationIssue>& issues)
{
    std::vector<std::pair<IssueSeverity, std::string>> next(m_knobs.size(), {IssueSeverity::Warning, std::string()});
    for (std::size_t i = 0; i < m_knobs.size(); ++i) {
        for (const auto& issue : issues) {
            if (issue.field != "search_space." + m_knobs[i].name && issue.field != "settings." + m_knobs[i].name)
                continue;
            auto& slot = next[i];
            // Errors win over warnings; the first of each kind is shown.
            if (slot.second.empty() || (slot.first == IssueSeverity::Warning && issue.severity == IssueSeverity::Error))
                slot = {issue.severity, issue.message};
        }
    }
    for (std::size_t i = 0; i < next.size(); ++i) {
        if (next[i] != m_issues[i]) {
            m_issues[i] = next[i];
            emit dataChanged(index(static_cast<int>(i), 0), index(static_cast<int>(i), ColumnCount - 1));
        }
    }
}

int SearchSpaceModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_knobs.size());
}

int SearchSpaceModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {
QString kindName(ParamKind k)
{
    switch (k) {
    case ParamKind::Int:
        return QStringLiteral("int");
    case ParamKind::Float:
        return QStringLiteral("float");
    case ParamKind::Categorical:
        return QStringLiteral("categorical");
    case ParamKind::Bool:
        return QStringLiteral("bool");
    }
    return {};
}
QString scaleText(ParamScale s)
{
    return s == ParamScale::Log       ? QStringLiteral("log")
        : s == ParamScale::PowerOfTwo ? QStringLiteral("pow2")
                                      : QStringLiteral("linear");
}
bool discrete(const KnobSetting& k)
{
    return k.kind == ParamKind::Categorical || k.kind == ParamKind::Bool;
}
} // namespace

QVariant SearchSpaceModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(m_knobs.size()))
        return {};
    const KnobSetting& k = m_knobs[static_cast<std::size_t>(index.row())];
    const KnobInfo& info = m_infos[static_cast<std::size_t>(index.row())];
    const auto& issue = m_issues[static_cast<std::size_t>(index.row())];
    const auto col = static_cast<Column>(index.column());
    if (role == Qt::CheckStateRole && col == Include)
        return k.included ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (col) {
        case Include:
            return {};
        case Knob:
            return qs(k.name);
        case Type:
            return kindName(k.kind);
        case Low:
            return discrete(k) ? QVariant() : QVariant(numberText(k.low));
        case High:
            return discrete(k) ? QVariant() : QVariant(numberText(k.high));
        case Scale:
            return discrete(k) ? QVariant() : QVariant(scaleText(k.scale));
        case Choices: {
            QStringList c;
            for (const auto& s : k.choices)
                c << qs(s);
            return discrete(k) ? QVariant(c.join(QStringLiteral(", "))) : QVariant();
        }
        case Fixed:
            if (role == Qt::DisplayRole && k.fixedValue.empty())
                return k.included ? QString() : tr("(default %1)").arg(qs(paramValueToString(info.defaultValue)));
            return qs(k.fixedValue);
        case Issue:
            return qs(issue.second);
        case ColumnCount:
            break;
        }
        return {};
    }
    if (role == Qt::ToolTipRole) {
        if (col == Issue || !issue.second.empty())
            return issue.second.empty() ? QVariant() : QVariant(qs(issue.second));
        if (col == Knob)
            return qs(info.description);
        if (col == Low || col == High)
            return tr("The workload accepts %1 to %2").arg(numberText(info.min), numberText(info.max));
        return {};
    }
    if (role == Qt::ForegroundRole) {
        if (col == Issue && !issue.second.empty())
            return issue.first == IssueSeverity::Error ? QColor(0xd9, 0x3f, 0x3f) : QColor(0xc0, 0x8a, 0x1c);
        return {};
    }
    return {};
}

Qt::ItemFlags SearchSpaceModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    const KnobSetting& k = m_knobs[static_cast<std::size_t>(index.row())];
    switch (static_cast<Column>(index.column())) {
    case Include:
        return f | Qt::ItemIsUserCheckable;
    case Low:
    case High:
    case Scale:
        return discrete(k) ? f : f | Qt::ItemIsEditable;
    case Choices:
        return discrete(k) ? f | Qt::ItemIsEditable : f;
    case Fixed:
        return f | Qt::ItemIsEditable;
    default:
        return f;
    }
}

bool SearchSpaceModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || index.row() >= static_cast<int>(m_knobs.size()))
        return false;
    KnobSetting& k = m_knobs[static_cast<std::size_t>(index.row())];
    const auto col = static_cast<Column>(index.column());
    bool changed = false;
    if (col == Include && role == Qt::CheckStateRole) {
        const bool on = value.toInt() == Qt::Checked;
        changed = on != k.included;
        k.included = on;
    } else if (role == Qt::EditRole) {
        const QString text = value.toString().trimmed();
        bool ok = true;
        switch (col) {
        case Low:
        case High: {
            const double v = text.toDouble(&ok);
            if (!ok || !std::isfinite(v))
                return false; // the editor keeps the old value; not a number is not a domain
            (col == Low ? k.low : k.high) = v;
            changed = true;
            break;
        }
        case Scale:
            if (text == QLatin1String("log"))
                k.scale = ParamScale::Log;
            else if (text == QLatin1String("pow2"))
                k.scale = ParamScale::PowerOfTwo;
            else if (text == QLatin1String("linear"))
                k.scale = ParamScale::Linear;
            else
                return false;
            changed = true;
            break;
        case Choices: {
            k.choices.clear();
            for (const QString& c : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
                k.choices.push_back(c.trimmed().toStdString());
            changed = true;
            break;
        }
        case Fixed:
            k.fixedValue = text.toStdString();
            changed = true;
            break;
        default:
            return false;
        }
    } else {
        return false;
    }
    if (changed) {
        emit dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
        emit knobsEdited();
    }
    return true;
}

QVariant SearchSpaceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* names[] = {"Search", "Knob", "Type", "Low", "High", "Scale", "Choices", "Fixed value", "Issue"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

// ---- CellTableModel -------------------------------------------------------------------------

CellTableModel::CellTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void CellTableModel::setTable(QStringList headers, std::vector<std::vector<Cell>> rows)
{
    beginResetModel();
    m_headers = std::move(headers);
    m_rows = std::move(rows);
    for (auto& r : m_rows)
        r.resize(static_cast<std::size_t>(m_headers.size()));
    endResetModel();
}

const CellTableModel::Cell* CellTableModel::cell(int row, int column) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size()) || column < 0 || column >= m_headers.size())
        return nullptr;
    return &m_rows[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)];
}

int CellTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int CellTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_headers.size());
}

QVariant CellTableModel::data(const QModelIndex& index, int role) const
{
    const Cell* c = index.isValid() ? cell(index.row(), index.column()) : nullptr;
    if (!c)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        return c->text;
    case kSortRole:
        return c->sort.isValid() ? c->sort : QVariant(c->text);
    case Qt::ForegroundRole:
        return c->foreground;
    case Qt::ToolTipRole:
        return c->toolTip.isEmpty() ? QVariant() : QVariant(c->toolTip);
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(c->alignment);
    default:
        return {};
    }
}

QVariant CellTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= m_headers.size())
        return {};
    return m_headers[section];
}

} // namespace lwb::ui
