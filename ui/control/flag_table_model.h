// SPDX-License-Identifier: MIT
#pragma once

#include "control/control_plane.h"

#include <QAbstractTableModel>

namespace trackwatch::ui {

// The feature flags as the control plane reports them: one row per flag, in the seed's order,
// with the value, why it has that value (default, environment, override, rollback) and who set
// it last. Read-only: a change goes through the control plane and comes back on reload.
// Lives on the UI thread.
class FlagTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Value, Source, ChangedBy, ChangedAt, Actions, ColumnCount };
    enum Role {
        FlagRole = Qt::UserRole, // core::Flag as int
        EnabledRole,             // bool
        SourceRole,              // flagSourceName(): "default", "environment", ...
    };

    explicit FlagTableModel(QObject* parent = nullptr);

    // Replaces the rows: a reset when the flags differ, dataChanged when only values did.
    void setFlags(const QList<core::FlagValue>& flags);
    const QList<core::FlagValue>& flags() const { return m_flags; }
    const core::FlagValue* flagAt(int row) const;
    int rowOf(const QString& name) const; // -1 when unknown

    static QString sourceText(core::FlagSource source); // translated

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<core::FlagValue> m_flags;
};

} // namespace trackwatch::ui
