// SPDX-License-Identifier: MIT
#pragma once

#include "control/control_plane.h"

#include <QAbstractTableModel>

namespace trackwatch::ui {

// The control plane's audit log, newest first: who changed what, from which value to which,
// and why. Read-only. Lives on the UI thread.
class AuditLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Actor, Action, Target, Before, After, Reason, ColumnCount };
    enum Role {
        IdRole = Qt::UserRole, // qint64
        TimeRole,              // QDateTime (UTC)
    };

    explicit AuditLogModel(QObject* parent = nullptr);

    void setEntries(const QList<core::AuditEntry>& entries);
    const QList<core::AuditEntry>& entries() const { return m_entries; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<core::AuditEntry> m_entries;
};

} // namespace trackwatch::ui
