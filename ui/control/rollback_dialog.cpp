// SPDX-License-Identifier: MIT
#include "control/rollback_dialog.h"

#include "storage/database_worker.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QTableWidget* makeTable(const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionMode(QAbstractItemView::NoSelection);
    table->setFocusPolicy(Qt::NoFocus);
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return table;
}

void setRow(QTableWidget* table, int row, const QStringList& cells) {
    for (int c = 0; c < cells.size(); ++c) {
        table->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
}

} // namespace

RollbackDialog::RollbackDialog(Mode mode, core::DatabaseWorker* db,
                               std::shared_ptr<const core::Clock> clock,
                               std::chrono::milliseconds acknowledgeTimeout, QWidget* parent)
    : QDialog(parent)
    , m_mode(mode)
    , m_db(db)
    , m_clock(std::move(clock))
    , m_timeout(acknowledgeTimeout)
    , m_intro(new QLabel(this))
    , m_planTable(makeTable({tr("Flag"), tr("Now"), tr("After")}, this))
    , m_reason(new QLineEdit(this))
    , m_confirm(new QCheckBox(this))
    , m_status(new QLabel(this))
    , m_engineTable(makeTable(
          {tr("Engine"), tr("Process"), tr("Acknowledged"), tr("Health"), tr("Reasons")}, this))
    , m_run(new QPushButton(this))
    , m_close(new QPushButton(tr("Cancel"), this)) {
    const bool back = mode == Mode::Rollback;
    setObjectName(back ? u"rollbackDialog"_s : u"rollForwardDialog"_s);
    setWindowTitle(back ? tr("Emergency rollback") : tr("Roll forward"));
    setMinimumSize(640, 520);
    m_intro->setWordWrap(true);
    m_intro->setText(
        back ? tr("Every optimization flag goes off in every engine sharing this database, in one "
                  "transaction, as an override whose source is \"rollback\". The values they "
                  "replace are kept, so a roll-forward restores exactly them. These flags change:")
             : tr("The flags go back to exactly what they were before the rollback (the same "
                  "overrides, or none) and the rollback ends. These flags change:"));
    m_planTable->setObjectName(u"plan"_s);
    m_reason->setObjectName(u"reason"_s);
    m_reason->setPlaceholderText(tr("who asked, why (e.g. INC-142: p95 over 2 s)"));
    m_confirm->setObjectName(u"confirm"_s);
    m_confirm->setText(back ? tr("I understand: every engine falls back to the legacy paths.")
                            : tr("I understand: every engine goes back to these values."));
    m_status->setObjectName(u"status"_s);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_engineTable->setObjectName(u"engines"_s);
    m_engineTable->setMinimumHeight(110);
    m_engineTable->hide();
    m_run->setObjectName(u"run"_s);
    m_run->setText(back ? tr("Roll back now") : tr("Roll forward now"));
    m_close->setObjectName(u"close"_s);

    auto* form = new QFormLayout;
    form->addRow(tr("&Reason:"), m_reason);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_run);
    buttons->addWidget(m_close);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_intro);
    layout->addWidget(m_planTable, 2);
    layout->addLayout(form);
    layout->addWidget(m_confirm);
    layout->addWidget(m_status);
    layout->addWidget(m_engineTable, 2);
    layout->addLayout(buttons);

    connect(m_reason, &QLineEdit::textChanged, this, &RollbackDialog::updateRunButton);
    connect(m_confirm, &QCheckBox::toggled, this, &RollbackDialog::updateRunButton);
    connect(m_run, &QPushButton::clicked, this, &RollbackDialog::run);
    connect(m_close, &QPushButton::clicked, this, &RollbackDialog::reject);
    setStage(Stage::LoadingPlan);
    loadPlan();
}

QString RollbackDialog::what() const {
    return m_mode == Mode::Rollback ? tr("The rollback") : tr("The roll-forward");
}

void RollbackDialog::loadPlan() {
    const bool back = m_mode == Mode::Rollback;
    m_status->setText(tr("Reading what would change…"));
    m_db->run<QList<core::FlagChange>>(
        this,
        [clock = m_clock, back](core::Database& db) -> core::Result<QList<core::FlagChange>> {
            core::ControlPlane control(db, *clock);
            return back ? control.rollbackPlan() : control.rollForwardPlan();
        },
        [this](core::Result<QList<core::FlagChange>> plan) {
            if (!plan) {
                fail(plan.error().code == core::ErrorCode::NotFound
                         ? tr("No rollback is in force: there is nothing to roll forward.")
                         : tr("Could not read what would change: %1").arg(plan.error().message));
                return;
            }
            m_plan = std::move(plan).value();
            showPlan(m_plan);
            m_status->setText(m_plan.isEmpty() ? tr("No flag would change.") : QString());
            setStage(Stage::Ready);
        });
}

void RollbackDialog::showPlan(const QList<core::FlagChange>& changes) {
    m_planTable->setRowCount(static_cast<int>(changes.size()));
    for (int row = 0; row < changes.size(); ++row) {
        const core::FlagChange& c = changes[row];
        setRow(m_planTable, row, {c.flag, c.before, c.after});
    }
    // Every change in view without scrolling: the list is what the person confirms.
    m_planTable->setMinimumHeight(m_planTable->verticalHeader()->length() +
                                  m_planTable->horizontalHeader()->sizeHint().height() + 4);
}

void RollbackDialog::updateRunButton() {
    m_run->setEnabled(m_stage == Stage::Ready && !m_plan.isEmpty() &&
                      !m_reason->text().trimmed().isEmpty() && m_confirm->isChecked());
}

void RollbackDialog::setStage(Stage stage) {
    m_stage = stage;
    const bool editable = stage == Stage::Ready;
    m_reason->setEnabled(editable);
    m_confirm->setEnabled(editable);
    const bool busy = stage == Stage::Changing || stage == Stage::Waiting;
    m_close->setEnabled(!busy);
    m_close->setText(stage == Stage::Done || stage == Stage::Failed ? tr("Close") : tr("Cancel"));
    m_run->setVisible(stage != Stage::Done);
    updateRunButton();
}

void RollbackDialog::fail(const QString& message) {
    m_status->setText(message);
    setStage(Stage::Failed);
}

void RollbackDialog::run() {
    const QString reason = m_reason->text().trimmed();
    if (m_stage != Stage::Ready || reason.isEmpty() || !m_confirm->isChecked()) {
        return;
    }
    const bool back = m_mode == Mode::Rollback;
    setStage(Stage::Changing);
    m_status->setText(back ? tr("Rolling back…") : tr("Rolling forward…"));
    m_db->run<core::RollbackRecord>(
        this,
        [clock = m_clock, back, reason](core::Database& db) -> core::Result<core::RollbackRecord> {
            core::ControlPlane control(db, *clock);
            return back ? control.rollback(reason) : control.rollForward(reason);
        },
        [this](core::Result<core::RollbackRecord> record) {
            if (!record) {
                // One transaction: when it fails, nothing changed.
                fail(tr("%1 failed and nothing was changed: %2")
                         .arg(what(), record.error().message));
                return;
            }
            m_version = record->controlVersion;
            showPlan(record->changes); // what actually changed, should it differ from the plan
            emit changed();
            await();
        });
}

void RollbackDialog::await() {
    setStage(Stage::Waiting);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count();
    m_status->setText(tr("%1 is stored (control version %2). Waiting up to %3 s for every running "
                         "engine to apply it…")
                          .arg(what())
                          .arg(m_version)
                          .arg(std::max<qint64>(seconds, 1)));
    // The engines with the time the wait ended: which were running is judged at that time.
    using Answer = std::pair<QList<core::EngineInstance>, QDateTime>;
    m_db->run<Answer>(
        this,
        [clock = m_clock, version = m_version,
         timeout = m_timeout](core::Database& db) -> core::Result<Answer> {
            core::EngineRegistry registry(db, *clock);
            auto engines = registry.awaitVersion(version, timeout);
            if (!engines) {
                return engines.error();
            }
            return Answer{std::move(engines).value(), clock->now()};
        },
        [this](core::Result<Answer> engines) {
            if (!engines) {
                m_status->setText(tr("%1 is stored (control version %2), but the engines could "
                                     "not be read: %3")
                                      .arg(what())
                                      .arg(m_version)
                                      .arg(engines.error().message));
                setStage(Stage::Done);
                return;
            }
            m_engines = engines->first;
            m_waitEnded = engines->second;
            showEngines();
            setStage(Stage::Done);
        });
}

void RollbackDialog::showEngines() {
    QList<core::EngineInstance> running;
    for (const core::EngineInstance& e : m_engines) {
        if (e.status(m_waitEnded) == u"running") {
            running << e;
        }
    }
    int acknowledged = 0;
    m_engineTable->setRowCount(static_cast<int>(running.size()));
    for (int row = 0; row < running.size(); ++row) {
        const core::EngineInstance& e = running[row];
        const bool ack = e.controlVersion >= m_version;
        acknowledged += ack ? 1 : 0;
        setRow(m_engineTable, row,
               {e.id.left(8), u"%1 %2:%3"_s.arg(e.kind, e.host).arg(e.pid),
                ack ? tr("yes (version %1)").arg(e.controlVersion)
                    : tr("NO (still on version %1)").arg(e.controlVersion),
                e.health.state, e.health.reasons.join(u"; "_s)});
        const QColor colour = ack ? QColor(0x2e, 0x9d, 0x4f) : QColor(0xd6, 0x3a, 0x3a);
        m_engineTable->item(row, 2)->setForeground(colour);
        const QString health = e.health.state;
        m_engineTable->item(row, 3)->setForeground(health == u"healthy" ? QColor(0x2e, 0x9d, 0x4f)
                                                   : health == u"degraded"
                                                       ? QColor(0xd0, 0x8a, 0x00)
                                                       : QColor(0xd6, 0x3a, 0x3a));
    }
    m_engineTable->setVisible(!running.isEmpty());
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count();
    if (running.isEmpty()) {
        m_status->setText(tr("%1 is done (control version %2). No engine is running on this "
                             "database; engines apply it when they start.")
                              .arg(what())
                              .arg(m_version));
    } else if (acknowledged == running.size()) {
        m_status->setText(tr("%1 is done (control version %2). Every running engine "
                             "acknowledged it (%3 of %3):")
                              .arg(what())
                              .arg(m_version)
                              .arg(running.size()));
    } else {
        m_status->setText(tr("%1 is stored (control version %2), but %3 of %4 running engines did "
                             "not acknowledge it within %5 s:")
                              .arg(what())
                              .arg(m_version)
                              .arg(running.size() - acknowledged)
                              .arg(running.size())
                              .arg(std::max<qint64>(seconds, 1)));
    }
}

void RollbackDialog::reject() {
    if (m_stage == Stage::Changing || m_stage == Stage::Waiting) {
        return; // the change is under way: the result must be seen
    }
    QDialog::reject();
}

} // namespace trackwatch::ui
