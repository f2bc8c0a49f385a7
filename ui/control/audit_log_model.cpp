// SPDX-License-Identifier: MIT
#include "control/audit_log_model.h"

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

AuditLogModel::AuditLogModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void AuditLogModel::setEntries(const QList<core::AuditEntry>& entries) {
    beginResetModel();
    m_entries = entries;
    endResetModel();
}

int AuditLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int AuditLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= m_entries.size() ||
        index.column() < 0 || index.column() >= ColumnCount) {
        return {};
    }
    const core::AuditEntry& e = m_entries[index.row()];
    switch (role) {
    case IdRole:
        return e.id;
    case TimeRole:
        return e.at;
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Time:
            return e.at.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s);
        case Actor:
            // The person first; the database role says which console or tool they used.
            return e.actorRole.isEmpty() || e.actorRole == e.actorOsUser
                       ? e.actorOsUser
                       : u"%1 (%2)"_s.arg(e.actorOsUser, e.actorRole);
        case Action:
            return e.action;
        case Target:
            return e.target;
        case Before:
            return e.oldValue;
        case After:
            return e.newValue;
        case Reason:
            return e.reason;
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant AuditLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case Time:
        return tr("Time");
    case Actor:
        return tr("Who");
    case Action:
        return tr("Action");
    case Target:
        return tr("Target");
    case Before:
        return tr("Before");
    case After:
        return tr("After");
    case Reason:
        return tr("Reason");
    default:
        return {};
    }
}

} // namespace trackwatch::ui
