// TrialTableModel and its proxy (see trial_table_model.h).
#include "lwb/ui/trial_table_model.h"

#include "lwb/ui/timeline_mapping.h"

#include <QApplication>
#include <QColor>
#include <QPalette>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace lwb::ui {

namespace {
QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

QString formatValue(double v)
{
    const double a = std::fabs(v);
    if (a >= 1e4)
        return QStringLiteral("%L1").arg(v, 0, 'f', 0);
    if (a != 0 && a < 1e-3)
        return QString::number(v, 'g', 4);
    return QString::number(v, 'f', a >= 100 ? 1 : a >= 1 ? 2 : 4);
}

QColor stateColor(TrialState s)
{
    switch (s) {
    case TrialState::Complete:
        return QColor(0x2e, 0x9d, 0x57);
    case TrialState::Failed:
        return QColor(0xd9, 0x3f, 0x3f);
    case TrialState::Pruned:
        return QColor(0xc0, 0x8a, 0x1c);
    case TrialState::Running:
        return QColor(0x2f, 0x7e, 0xd8);
    }
    return {};
}
} // namespace

TrialTableModel::TrialTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void TrialTableModel::buildColumns()
{
    m_columns.clear();
    m_columns.push_back({ColumnKind::Number, 0});
    m_columns.push_back({ColumnKind::State, 0});
    if (!m_study)
        return;
    for (std::size_t i = 0; i < m_study->objectives.size(); ++i)
        m_columns.push_back({ColumnKind::Objective, static_cast<int>(i)});
    for (std::size_t i = 0; i < m_study->params.size(); ++i)
        m_columns.push_back({ColumnKind::Param, static_cast<int>(i)});
    m_columns.push_back({ColumnKind::Duration, 0});
    m_columns.push_back({ColumnKind::Note, 0});
}

void TrialTableModel::setStudy(StudySnapshotPtr study)
{
    const bool sameShape = m_study && study && m_study->name == study->name && m_study->path == study->path
        && m_study->objectives == study->objectives && m_study->params == study->params
        && study->trials.size() >= m_study->trials.size();
    if (!sameShape) {
        beginResetModel();
        m_study = std::move(study);
        m_searchText.clear();
        buildColumns();
        endResetModel();
        return;
    }
    m_searchText.clear(); // rebuilt lazily for the new snapshot
    StudySnapshotPtr old = std::move(m_study);
    const int oldRows = static_cast<int>(old->trials.size());
    const int newRows = static_cast<int>(study->trials.size());
    // Rows that changed keep their index (trials are appended, never reordered by the tuner).
    m_study = study;
    int first = -1, last = -1;
    for (int r = 0; r < oldRows; ++r) {
        if (!(old->trials[static_cast<std::size_t>(r)] == study->trials[static_cast<std::size_t>(r)])) {
            if (first < 0)
                first = r;
            last = r;
        }
    }
    if (newRows > oldRows) {
        // Inserting while m_study already holds the new rows is fine for views: the model must
        // report the old count until beginInsertRows, so swap back for the call.
        m_study = old;
        beginInsertRows({}, oldRows, newRows - 1);
        m_study = study;
        endInsertRows();
    }
    if (first >= 0)
        emit dataChanged(index(first, 0), index(last, columnCount() - 1));
}

int TrialTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_study ? 0 : static_cast<int>(m_study->trials.size());
}

int TrialTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_columns.size());
}

TrialTableModel::ColumnKind TrialTableModel::columnKind(int column) const
{
    return column >= 0 && column < static_cast<int>(m_columns.size()) ? m_columns[static_cast<std::size_t>(column)].kind
                                                                      : ColumnKind::Note;
}

const TrialSnapshot* TrialTableModel::trialAt(int row) const
{
    if (!m_study || row < 0 || row >= static_cast<int>(m_study->trials.size()))
        return nullptr;
    return &m_study->trials[static_cast<std::size_t>(row)];
}

int TrialTableModel::rowOfTrial(int number) const
{
    if (!m_study)
        return -1;
    // Trials are numbered densely from 0 in the usual case; fall back to a scan.
    if (number >= 0 && number < static_cast<int>(m_study->trials.size())
        && m_study->trials[static_cast<std::size_t>(number)].number == number)
        return number;
    for (std::size_t i = 0; i < m_study->trials.size(); ++i)
        if (m_study->trials[i].number == number)
            return static_cast<int>(i);
    return -1;
}

std::optional<double> TrialTableModel::numericKey(const TrialSnapshot& t, const Column& c) const
{
    switch (c.kind) {
    case ColumnKind::Number:
        return t.number;
    case ColumnKind::State:
        return static_cast<double>(t.state);
    case ColumnKind::Objective:
        if (c.index < static_cast<int>(t.values.size()))
            return t.values[static_cast<std::size_t>(c.index)];
        return std::nullopt;
    case ColumnKind::Param: {
        const auto& p = m_study->params[static_cast<std::size_t>(c.index)];
        auto it = t.params.find(p.name);
        if (it == t.params.end())
            return std::nullopt;
        if (auto* i = std::get_if<std::int64_t>(&it->second))
            return static_cast<double>(*i);
        if (auto* d = std::get_if<double>(&it->second))
            return *d;
        if (auto* b = std::get_if<bool>(&it->second))
            return *b ? 1.0 : 0.0;
        return std::nullopt;
    }
    case ColumnKind::Duration:
        return t.durationSeconds;
    case ColumnKind::Note:
        return std::nullopt;
    }
    return std::nullopt;
}

QString TrialTableModel::cellText(const TrialSnapshot& t, const Column& c) const
{
    switch (c.kind) {
    case ColumnKind::Number:
        return QString::number(t.number);
    case ColumnKind::State:
        return QString::fromLatin1(trialStateName(t.state).data(), static_cast<int>(trialStateName(t.state).size()));
    case ColumnKind::Objective: {
        auto v = numericKey(t, c);
        return v ? formatValue(*v) : QString();
    }
    case ColumnKind::Param: {
        auto it = t.params.find(m_study->params[static_cast<std::size_t>(c.index)].name);
        return it == t.params.end() ? QString() : qs(paramValueToString(it->second));
    }
    case ColumnKind::Duration:
        return t.durationSeconds > 0 ? qs(formatDuration(t.durationSeconds * 1e9)) : QString();
    case ColumnKind::Note:
        return qs(t.failureReason);
    }
    return {};
}

QVariant TrialTableModel::data(const QModelIndex& index, int role) const
{
    const TrialSnapshot* t = index.isValid() ? trialAt(index.row()) : nullptr;
    if (!t || index.column() >= static_cast<int>(m_columns.size()))
        return {};
    const Column& c = m_columns[static_cast<std::size_t>(index.column())];
    switch (role) {
    case Qt::DisplayRole:
        return cellText(*t, c);
    case Qt::ToolTipRole:
        if (!t->failureReason.empty())
            return qs(t->failureReason);
        return {};
    case Qt::ForegroundRole:
        if (c.kind == ColumnKind::State)
            return stateColor(t->state);
        return {};
    case Qt::TextAlignmentRole:
        if (c.kind == ColumnKind::Note || c.kind == ColumnKind::State)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    case TrialNumberRole:
        return t->number;
    case StateRole:
        return static_cast<int>(t->state);
    case SortRole: {
        if (auto v = numericKey(*t, c))
            return *v;
        return cellText(*t, c);
    }
    default:
        return {};
    }
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= static_cast<int>(m_columns.size()))
        return {};
    const Column& c = m_columns[static_cast<std::size_t>(section)];
    if (role == Qt::DisplayRole) {
        switch (c.kind) {
        case ColumnKind::Number:
            return tr("#");
        case ColumnKind::State:
            return tr("State");
        case ColumnKind::Objective: {
            const auto& o = m_study->objectives[static_cast<std::size_t>(c.index)];
            return qs(o.metric)
                + (o.direction == Direction::Maximize ? QStringLiteral(" \u2191") : QStringLiteral(" \u2193"));
        }
        case ColumnKind::Param:
            return qs(m_study->params[static_cast<std::size_t>(c.index)].name);
        case ColumnKind::Duration:
            return tr("Duration");
        case ColumnKind::Note:
            return tr("Note");
        }
    }
    if (role == Qt::ToolTipRole && c.kind == ColumnKind::Objective) {
        const auto& o = m_study->objectives[static_cast<std::size_t>(c.index)];
        return tr("Objective %1 (%2), unit %3")
            .arg(qs(o.metric), o.direction == Direction::Maximize ? tr("maximise") : tr("minimise"), qs(o.unit));
    }
    return {};
}

bool TrialTableModel::lessThan(int rowA, int rowB, int column, Qt::SortOrder order) const
{
    const TrialSnapshot* a = trialAt(rowA);
    const TrialSnapshot* b = trialAt(rowB);
    if (!a || !b || column < 0 || column >= static_cast<int>(m_columns.size()))
        return rowA < rowB;
    const Column& c = m_columns[static_cast<std::size_t>(column)];
    if (c.kind == ColumnKind::Note
        || (c.kind == ColumnKind::Param
            && m_study->params[static_cast<std::size_t>(c.index)].kind == ParamKind::Categorical)) {
        const int cmp = QString::compare(cellText(*a, c), cellText(*b, c), Qt::CaseInsensitive);
        return cmp != 0 ? cmp < 0 : a->number < b->number;
    }
    auto va = numericKey(*a, c);
    auto vb = numericKey(*b, c);
    if (va && vb)
        return *va != *vb ? *va < *vb : a->number < b->number;
    // Missing values (failed trials have no objective) go last in either order; the proxy sorts
    // descending by swapping the arguments, so flip the answer then.
    if (va.has_value() != vb.has_value())
        return order == Qt::AscendingOrder ? va.has_value() : vb.has_value();
    return a->number < b->number;
}

const std::string& TrialTableModel::searchText(int row) const
{
    static const std::string empty;
    const TrialSnapshot* t = trialAt(row);
    if (!t)
        return empty;
    if (m_searchText.size() != m_study->trials.size())
        m_searchText.assign(m_study->trials.size(), std::string());
    std::string& s = m_searchText[static_cast<std::size_t>(row)];
    if (s.empty()) {
        s.reserve(96 + t->failureReason.size());
        s.append(std::to_string(t->number)).append(1, ' ').append(trialStateName(t->state));
        for (const auto& [k, v] : t->params)
            s.append(1, ' ').append(paramValueToString(v));
        s.append(1, ' ').append(t->failureReason);
        std::transform(
            s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    return s;
}

bool TrialTableModel::matches(int row, const QString& token) const
{
    const TrialSnapshot* t = trialAt(row);
    if (!t)
        return false;
    const int eq = token.indexOf(QLatin1Char('='));
    if (eq > 0) {
        const std::string key = token.left(eq).toStdString();
        auto it = t->params.find(key);
        return it != t->params.end()
            && qs(paramValueToString(it->second)).compare(token.mid(eq + 1), Qt::CaseInsensitive) == 0;
    }
    if (token.startsWith(QLatin1String("state:"), Qt::CaseInsensitive)) {
        const QString s = QString::fromLatin1(trialStateName(t->state).data());
        return s.startsWith(token.mid(6), Qt::CaseInsensitive);
    }
    if (QString::number(t->number) == token)
        return true;
    return searchText(row).find(token.toLower().toStdString()) != std::string::npos;
}

TrialFilterProxy::TrialFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    setSortRole(TrialTableModel::SortRole);
}

void TrialFilterProxy::setStateFilter(int state)
{
    if (state == m_state)
        return;
    m_state = state;
    invalidateFilter();
}

void TrialFilterProxy::setTextFilter(const QString& text)
{
    QStringList tokens = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (tokens == m_tokens)
        return;
    m_tokens = tokens;
    invalidateFilter();
}

bool TrialFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (sourceParent.isValid())
        return false;
    auto* model = qobject_cast<const TrialTableModel*>(sourceModel());
    if (!model)
        return true;
    const TrialSnapshot* t = model->trialAt(sourceRow);
    if (!t)
        return false;
    if (m_state >= 0 && static_cast<int>(t->state) != m_state)
        return false;
    for (const auto& token : m_tokens)
        if (!model->matches(sourceRow, token))
            return false;
    return true;
}

bool TrialFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    auto* model = qobject_cast<const TrialTableModel*>(sourceModel());
    if (!model)
        return QSortFilterProxyModel::lessThan(left, right);
    return model->lessThan(left.row(), right.row(), left.column(), sortOrder());
}

} // namespace lwb::ui
