// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "control/control_plane.h"
#include "engine/engine_registry.h"

#include <QDialog>

#include <chrono>
#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

// The emergency rollback (or the roll-forward that ends it), as trackwatchctl does it: lists
// exactly which flags change (from the control plane's plan), asks for a reason and an explicit
// confirmation, makes the change in one transaction, then waits on the database worker's thread
// (bounded) for every running engine to acknowledge the new control version and shows each
// engine's acknowledgement and health. Open it with open(); all database work goes through the
// worker.
class RollbackDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode { Rollback, RollForward };
    enum class Stage { LoadingPlan, Ready, Changing, Waiting, Done, Failed };

    RollbackDialog(Mode mode, core::DatabaseWorker* db, std::shared_ptr<const core::Clock> clock,
                   std::chrono::milliseconds acknowledgeTimeout, QWidget* parent = nullptr);

    Mode mode() const { return m_mode; }
    Stage stage() const { return m_stage; }
    const QList<core::FlagChange>& plan() const { return m_plan; }
    // After the change: the engines as they were when the wait ended.
    const QList<core::EngineInstance>& engines() const { return m_engines; }
    qint64 controlVersion() const { return m_version; }

    QTableWidget* planTable() const { return m_planTable; }
    QLineEdit* reasonEdit() const { return m_reason; }
    QCheckBox* confirmBox() const { return m_confirm; }
    QPushButton* runButton() const { return m_run; }
    QPushButton* closeButton() const { return m_close; }
    QTableWidget* engineTable() const { return m_engineTable; }
    QLabel* statusLabel() const { return m_status; }

    void reject() override; // refused while the change or the wait is running

signals:
    // The control plane changed (emitted once the change is stored, before the wait).
    void changed();

private:
    void loadPlan();
    void run();
    void await();
    void showPlan(const QList<core::FlagChange>& changes);
    void showEngines();
    void setStage(Stage stage);
    void fail(const QString& message);
    void updateRunButton();
    QString what() const;

    Mode m_mode;
    core::DatabaseWorker* m_db;
    std::shared_ptr<const core::Clock> m_clock;
    std::chrono::milliseconds m_timeout;
    Stage m_stage = Stage::LoadingPlan;
    QList<core::FlagChange> m_plan;
    QList<core::EngineInstance> m_engines;
    qint64 m_version = 0;
    QDateTime m_waitEnded;

    QLabel* m_intro;
    QTableWidget* m_planTable;
    QLineEdit* m_reason;
    QCheckBox* m_confirm;
    QLabel* m_status;
    QTableWidget* m_engineTable;
    QPushButton* m_run;
    QPushButton* m_close;
};

} // namespace trackwatch::ui
