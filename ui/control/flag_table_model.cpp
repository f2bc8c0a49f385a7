// SPDX-License-Identifier: MIT
#include "control/flag_table_model.h"

#include <QFont>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

FlagTableModel::FlagTableModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void FlagTableModel::setFlags(const QList<core::FlagValue>& flags) {
    bool sameRows = flags.size() == m_flags.size();
    for (qsizetype i = 0; sameRows && i < flags.size(); ++i) {
        sameRows = flags[i].name == m_flags[i].name;
    }
    if (!sameRows) {
        beginResetModel();
        m_flags = flags;
        endResetModel();
        return;
    }
    m_flags = flags;
    if (!m_flags.isEmpty()) {
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

const core::FlagValue* FlagTableModel::flagAt(int row) const {
    return row >= 0 && row < m_flags.size() ? &m_flags[row] : nullptr;
}

int FlagTableModel::rowOf(const QString& name) const {
    for (qsizetype i = 0; i < m_flags.size(); ++i) {
        if (m_flags[i].name == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

QString FlagTableModel::sourceText(core::FlagSource source) {
    switch (source) {
    case core::FlagSource::Default:
        return tr("default");
    case core::FlagSource::Environment:
        return tr("environment");
    case core::FlagSource::Override:
        return tr("override");
    case core::FlagSource::Rollback:
        return tr("rollback");
    }
    return {};
}

int FlagTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_flags.size());
}

int FlagTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FlagTableModel::data(const QModelIndex& index, int role) const {
    const core::FlagValue* flag = index.isValid() ? flagAt(index.row()) : nullptr;
    if (flag == nullptr || index.column() < 0 || index.column() >= ColumnCount) {
        return {};
    }
    switch (role) {
    case FlagRole:
        return static_cast<int>(flag->flag);
    case EnabledRole:
        return flag->enabled;
    case SourceRole:
        return core::flagSourceName(flag->source);
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Name:
            return flag->name;
        case Value:
            return flag->enabled ? tr("On") : tr("Off");
        case Source:
            return sourceText(flag->source);
        case ChangedBy:
            return flag->updatedBy;
        case ChangedAt:
            return flag->updatedAt.isValid()
                       ? flag->updatedAt.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s)
                       : QString();
        default:
            return {};
        }
    case Qt::FontRole:
        // A value someone set stands out from the defaults.
        if (index.column() == Source && (flag->source == core::FlagSource::Override ||
                                         flag->source == core::FlagSource::Rollback)) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    default:
        return {};
    }
}

QVariant FlagTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case Name:
        return tr("Flag");
    case Value:
        return tr("Value");
    case Source:
        return tr("Source");
    case ChangedBy:
        return tr("Changed by");
    case ChangedAt:
        return tr("Changed at");
    case Actions:
        return tr("Override");
    default:
        return {};
    }
}

} // namespace trackwatch::ui
