// SPDX-License-Identifier: MIT
#pragma once

#include "control/control_plane.h"

#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace trackwatch::ui {

class AuditLogModel;

// The audit log with its filters: target (exact, or a prefix such as flag:*), actor (database
// role or operating-system user) and a time range. Shows what the page gives it; a changed
// filter is reported through filterChanged() and the page reads the log again.
class AuditLogView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kLimit = 500;

    explicit AuditLogView(QWidget* parent = nullptr);

    AuditLogModel* model() const { return m_model; }
    // The filter as it reads at `now` ("last hour" moves with the clock).
    core::AuditFilter filter(const QDateTime& now) const;
    void setEntries(const QList<core::AuditEntry>& entries);
    void showError(const QString& message);

    QLineEdit* targetEdit() const { return m_target; }
    QLineEdit* actorEdit() const { return m_actor; }
    QComboBox* rangeBox() const { return m_range; }
    QDateTimeEdit* sinceEdit() const { return m_since; }
    QDateTimeEdit* untilEdit() const { return m_until; }
    QPushButton* applyButton() const { return m_apply; }
    QTableView* table() const { return m_table; }

signals:
    void filterChanged();

private:
    enum Range { AnyTime, LastHour, LastDay, LastWeek, Custom };

    AuditLogModel* m_model;
    QLineEdit* m_target;
    QLineEdit* m_actor;
    QComboBox* m_range;
    QDateTimeEdit* m_since;
    QDateTimeEdit* m_until;
    QPushButton* m_apply;
    QPushButton* m_clear;
    QLabel* m_count;
    QTableView* m_table;
};

} // namespace trackwatch::ui
