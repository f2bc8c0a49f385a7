// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "control/control_state.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <chrono>
#include <functional>
#include <memory>

class QAbstractButton;
class QDialog;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;
class QVBoxLayout;

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

class AuditLogView;
class BreakerTile;
class FlagTableModel;
class RolloutEditor;

// The control plane for on-call engineers, after Unleash's admin UI and Hystrix Dashboard:
// feature flags with their source and last change, rollout percentages with a preview of the
// accounts that move, circuit breakers as tiles, the emergency rollback and roll-forward, and
// the audit log. Every read and change runs on the database worker's thread; the page polls
// the control version every second and reloads only when it changed (another console or
// trackwatchctl), and every kEngineRefreshPolls polls for the engines' own breaker states and
// health, which change no version. Every change asks for a reason first. Read-only (support staff):
// the state is shown, no control action exists. Lives on the UI thread.
class ControlPage : public QWidget {
    Q_OBJECT
public:
    static constexpr std::chrono::milliseconds kPollInterval{1000};
    static constexpr std::chrono::milliseconds kAcknowledgeTimeout{10000};
    static constexpr int kEngineRefreshPolls = 5; // engines' state is read every 5th poll

    ControlPage(core::DatabaseWorker* db, std::shared_ptr<const core::Clock> clock, bool readOnly,
                QWidget* parent = nullptr);

    bool isReadOnly() const { return m_readOnly; }
    // The control version the page shows (-1 before the first load).
    qint64 loadedVersion() const { return m_version; }
    const ControlState& state() const { return m_state; }
    // How long a rollback dialog waits for engines to acknowledge (kAcknowledgeTimeout).
    void setAcknowledgeTimeout(std::chrono::milliseconds timeout) { m_ackTimeout = timeout; }

    // Reads everything again now, whether or not the version changed.
    void reload();

    // For tests and screenshots: the parts a person sees and clicks.
    FlagTableModel* flagModel() const { return m_flagModel; }
    QTableView* flagTable() const { return m_flagTable; }
    QAbstractButton* flagToggle(const QString& flag) const; // null when read-only
    QPushButton* clearOverrideButton(const QString& flag) const;
    BreakerTile* breakerTile(const QString& operation) const;
    RolloutEditor* rolloutEditor(const QString& name) const;
    AuditLogView* auditLog() const { return m_audit; }
    QPushButton* rollbackButton() const { return m_rollback; }
    QPushButton* rollForwardButton() const { return m_rollForward; }
    QLabel* errorLabel() const { return m_error; }
    QLabel* statusLabel() const { return m_status; }
    QLabel* rollbackBanner() const { return m_banner; }
    // The dialog the page opened last (a reason or a rollback dialog) while it is open.
    QDialog* openDialog() const { return m_dialog; }

signals:
    void stateLoaded(qint64 version);
    void auditLoaded(int rows);

private:
    void poll();
    void loadState();
    void loadAudit();
    void apply(const ControlState& state);
    void rebuildFlagWidgets();
    void updateFlagWidgets();
    void showLoadError(const QString& message);
    void showResult(bool ok, const QString& message);

    // Asks for a reason, then runs the change through the worker and reports it.
    void askAndChange(const QString& title, const QString& question, const QString& action,
                      const QString& done,
                      std::function<core::Status(core::ControlPlane&, const QString&)> change);
    void requestFlag(const QString& flag, bool enabled);
    void requestClear(const QString& flag);
    void requestRollout(const QString& name, int percentage);
    void requestPreview(const QString& name, int percentage);
    void requestTrip(const QString& operation);
    void requestReset(const QString& operation);
    void openRollback(bool forward);

    core::DatabaseWorker* m_db;
    std::shared_ptr<const core::Clock> m_clock;
    bool m_readOnly;
    std::chrono::milliseconds m_ackTimeout = kAcknowledgeTimeout;
    ControlState m_state;
    qint64 m_version = -1;
    int m_polls = 0;
    bool m_polling = false;
    bool m_loading = false;
    bool m_stale = true; // reload on the next poll even when the version did not change
    bool m_auditLoading = false;
    bool m_auditStale = false;

    QLabel* m_error;
    QLabel* m_banner;
    QLabel* m_summary;
    QLabel* m_status;
    QPushButton* m_rollback = nullptr;
    QPushButton* m_rollForward = nullptr;
    FlagTableModel* m_flagModel;
    QTableView* m_flagTable;
    QVBoxLayout* m_rolloutLayout;
    QHBoxLayout* m_breakerRow;
    AuditLogView* m_audit;
    QTimer* m_poll;
    QHash<QString, QAbstractButton*> m_toggles;
    QHash<QString, QPushButton*> m_clears;
    QHash<QString, RolloutEditor*> m_rollouts;
    QHash<QString, BreakerTile*> m_breakers;
    QPointer<QDialog> m_dialog;
};

} // namespace trackwatch::ui
