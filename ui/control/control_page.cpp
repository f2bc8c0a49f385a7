// SPDX-License-Identifier: MIT
#include "control/control_page.h"

#include "control/audit_log_model.h"
#include "control/audit_log_view.h"
#include "control/breaker_tile.h"
#include "control/flag_table_model.h"
#include "control/reason_dialog.h"
#include "control/rollback_dialog.h"
#include "control/rollout_editor.h"
#include "storage/database_worker.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QString timeText(const QDateTime& t) {
    return t.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

// A bar across the page in a colour that reads on a light and on a dark palette.
QLabel* makeBar(const QString& name, const QString& background, QWidget* parent) {
    auto* bar = new QLabel(parent);
    bar->setObjectName(name);
    bar->setWordWrap(true);
    bar->setTextFormat(Qt::PlainText);
    bar->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bar->setStyleSheet(u"QLabel { background: %1; color: #ffffff; padding: 8px; "
                       u"border-radius: 4px; font-weight: bold; }"_s.arg(background));
    bar->hide();
    return bar;
}

} // namespace

ControlPage::ControlPage(core::DatabaseWorker* db, std::shared_ptr<const core::Clock> clock,
                         bool readOnly, QWidget* parent)
    : QWidget(parent)
    , m_db(db)
    , m_clock(std::move(clock))
    , m_readOnly(readOnly)
    , m_error(makeBar(u"error"_s, u"#b3261e"_s, this))
    , m_banner(makeBar(u"rollbackBanner"_s, u"#c2410c"_s, this))
    , m_summary(new QLabel(this))
    , m_status(new QLabel(this))
    , m_flagModel(new FlagTableModel(this))
    , m_flagTable(new QTableView(this))
    , m_rolloutLayout(new QVBoxLayout)
    , m_breakerRow(new QHBoxLayout)
    , m_audit(new AuditLogView(this))
    , m_poll(new QTimer(this)) {
    setObjectName(u"controlPage"_s);

    // Header: what version everyone runs on, the last action's result, the big buttons.
    auto* title = new QLabel(tr("Control"), this);
    QFont titleFont = title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    title->setFont(titleFont);
    m_summary->setObjectName(u"summary"_s);
    m_summary->setForegroundRole(QPalette::PlaceholderText);
    m_status->setObjectName(u"status"_s);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    auto* header = new QHBoxLayout;
    header->addWidget(title);
    header->addSpacing(12);
    header->addWidget(m_summary);
    header->addStretch(1);
    if (!m_readOnly) {
        m_rollForward = new QPushButton(tr("Roll forward…"), this);
        m_rollForward->setObjectName(u"rollForward"_s);
        m_rollForward->setEnabled(false);
        m_rollForward->setToolTip(tr("Restore the flags as they were before the rollback"));
        m_rollback = new QPushButton(tr("Emergency rollback…"), this);
        m_rollback->setObjectName(u"rollback"_s);
        m_rollback->setToolTip(tr("Turn every optimization off in every engine"));
        m_rollback->setStyleSheet(u"QPushButton { background: #b3261e; color: #ffffff; "
                                  u"font-weight: bold; padding: 5px 14px; border-radius: 4px; } "
                                  u"QPushButton:disabled { background: #8c8c8c; }"_s);
        header->addWidget(m_rollForward);
        header->addWidget(m_rollback);
        connect(m_rollback, &QPushButton::clicked, this, [this] { openRollback(false); });
        connect(m_rollForward, &QPushButton::clicked, this, [this] { openRollback(true); });
    }

    // Feature flags.
    m_flagTable->setObjectName(u"flags"_s);
    m_flagTable->setModel(m_flagModel);
    m_flagTable->verticalHeader()->hide();
    m_flagTable->verticalHeader()->setDefaultSectionSize(30);
    m_flagTable->setSelectionMode(QAbstractItemView::NoSelection);
    m_flagTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_flagTable->setFocusPolicy(Qt::NoFocus);
    m_flagTable->setWordWrap(false);
    m_flagTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_flagTable->horizontalHeader()->setSectionResizeMode(FlagTableModel::Name,
                                                          QHeaderView::Stretch);
    // Sized to the switches and buttons placed in them.
    m_flagTable->horizontalHeader()->setSectionResizeMode(FlagTableModel::Value,
                                                          QHeaderView::Fixed);
    m_flagTable->horizontalHeader()->setSectionResizeMode(FlagTableModel::Actions,
                                                          QHeaderView::Fixed);
    m_flagTable->setColumnHidden(FlagTableModel::Actions, m_readOnly);
    auto* flagsBox = new QGroupBox(tr("Feature flags"), this);
    auto* flagsLayout = new QVBoxLayout(flagsBox);
    flagsLayout->addWidget(m_flagTable);
    connect(m_flagModel, &QAbstractItemModel::modelReset, this, &ControlPage::rebuildFlagWidgets);
    connect(m_flagModel, &QAbstractItemModel::dataChanged, this, &ControlPage::updateFlagWidgets);

    auto* rolloutBox = new QGroupBox(tr("Gradual rollout"), this);
    rolloutBox->setLayout(m_rolloutLayout);
    m_rolloutLayout->addStretch(1);

    // Breakers side by side, as Hystrix Dashboard lays out its circuits.
    auto* breakerBox = new QGroupBox(tr("Circuit breakers"), this);
    auto* breakerInner = new QWidget(breakerBox);
    breakerInner->setLayout(m_breakerRow);
    m_breakerRow->setContentsMargins(0, 0, 0, 0);
    auto* breakerScroll = new QScrollArea(breakerBox);
    breakerScroll->setWidget(breakerInner);
    breakerScroll->setWidgetResizable(true);
    breakerScroll->setFrameShape(QFrame::NoFrame);
    breakerScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    breakerScroll->setMinimumHeight(230); // a whole tile, its Trip and Reset included
    auto* breakerLayout = new QVBoxLayout(breakerBox);
    breakerLayout->addWidget(breakerScroll);

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(flagsBox);
    top->addWidget(rolloutBox);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setChildrenCollapsible(false);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(breakerBox);
    split->addWidget(m_audit);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setStretchFactor(2, 3);
    split->setSizes({300, 270, 280});
    split->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_error);
    layout->addWidget(m_banner);
    layout->addLayout(header);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);
    m_status->hide();

    connect(m_audit, &AuditLogView::filterChanged, this, &ControlPage::loadAudit);
    connect(m_db, &core::DatabaseWorker::connectionChanged, this,
            [this](bool up, const QString& message) {
                if (!up) {
                    showLoadError(message);
                }
            });
    m_poll->setInterval(kPollInterval);
    connect(m_poll, &QTimer::timeout, this, &ControlPage::poll);
    m_poll->start();
    poll();
}

QAbstractButton* ControlPage::flagToggle(const QString& flag) const {
    return m_toggles.value(flag);
}

QPushButton* ControlPage::clearOverrideButton(const QString& flag) const {
    return m_clears.value(flag);
}

BreakerTile* ControlPage::breakerTile(const QString& operation) const {
    return m_breakers.value(operation);
}

RolloutEditor* ControlPage::rolloutEditor(const QString& name) const {
    return m_rollouts.value(name);
}

void ControlPage::reload() {
    m_stale = true;
    poll();
}

void ControlPage::poll() {
    if (m_polling || m_loading) {
        return;
    }
    m_polling = true;
    m_db->run<qint64>(
        this,
        [clock = m_clock](core::Database& db) -> core::Result<qint64> {
            return core::ControlPlane(db, *clock).version();
        },
        [this](core::Result<qint64> version) {
            m_polling = false;
            if (!version) {
                showLoadError(version.error().message);
                return;
            }
            // Engines' own breaker transitions, acknowledgements and health do not change the
            // version: they are read again every few polls.
            const bool enginesDue = ++m_polls % kEngineRefreshPolls == 0;
            if (*version != m_version || m_stale || enginesDue) {
                loadState();
            } else {
                m_error->hide();
            }
        });
}

void ControlPage::loadState() {
    if (m_loading) {
        m_stale = true;
        return;
    }
    m_loading = true;
    m_stale = false;
    m_db->run<ControlState>(
        this,
        [clock = m_clock](core::Database& db) -> core::Result<ControlState> {
            return readControlState(db, *clock);
        },
        [this](core::Result<ControlState> state) {
            m_loading = false;
            if (!state) {
                m_stale = true;
                showLoadError(state.error().message);
                return;
            }
            m_error->hide();
            const bool changed = state->version != m_version;
            apply(*state);
            if (changed) {
                loadAudit();
            }
            if (m_stale) {
                poll();
            }
        });
}

void ControlPage::loadAudit() {
    if (m_auditLoading) {
        m_auditStale = true;
        return;
    }
    m_auditLoading = true;
    m_auditStale = false;
    const core::AuditFilter filter = m_audit->filter(m_clock->now());
    m_db->run<QList<core::AuditEntry>>(
        this,
        [clock = m_clock, filter](core::Database& db) -> core::Result<QList<core::AuditEntry>> {
            return core::ControlPlane(db, *clock).audit(filter);
        },
        [this](core::Result<QList<core::AuditEntry>> entries) {
            m_auditLoading = false;
            if (!entries) {
                m_audit->showError(entries.error().message);
            } else {
                m_audit->setEntries(*entries);
                emit auditLoaded(static_cast<int>(entries->size()));
            }
            if (m_auditStale) {
                loadAudit();
            }
        });
}

void ControlPage::apply(const ControlState& state) {
    m_state = state;
    m_version = state.version;
    m_flagModel->setFlags(state.flags);

    for (const core::RolloutValue& value : state.rollouts) {
        RolloutEditor* editor = m_rollouts.value(value.name);
        if (editor == nullptr) {
            editor = new RolloutEditor(value.name, m_readOnly, this);
            m_rolloutLayout->insertWidget(m_rolloutLayout->count() - 1, editor);
            m_rollouts.insert(value.name, editor);
            connect(editor, &RolloutEditor::previewRequested, this, &ControlPage::requestPreview);
            connect(editor, &RolloutEditor::applyRequested, this, &ControlPage::requestRollout);
        }
        editor->setValue(value);
    }

    for (const core::BreakerRecord& breaker : state.breakers) {
        BreakerTile* tile = m_breakers.value(breaker.operation);
        if (tile == nullptr) {
            tile = new BreakerTile(breaker.operation, m_readOnly, this);
            m_breakerRow->addWidget(tile);
            m_breakers.insert(breaker.operation, tile);
            connect(tile, &BreakerTile::tripRequested, this, &ControlPage::requestTrip);
            connect(tile, &BreakerTile::resetRequested, this, &ControlPage::requestReset);
        }
        tile->setState(breaker, state.engineBreakers);
    }

    if (state.rollback) {
        const core::RollbackRecord& r = *state.rollback;
        m_banner->setText(tr("Rollback in force since %1, by %2: %3. Every optimization flag is "
                             "off in every engine until someone rolls forward.")
                              .arg(timeText(r.at), r.by, r.reason));
    }
    m_banner->setVisible(state.rollback.has_value());
    if (m_rollForward != nullptr) {
        m_rollForward->setEnabled(state.rollback.has_value());
    }

    int running = 0;
    int current = 0;
    for (const core::EngineInstance& e : state.engines) {
        if (e.status(state.readAt) == u"running") {
            ++running;
            current += e.controlVersion >= state.version ? 1 : 0;
        }
    }
    const QString engines =
        running == 1 ? tr("1 engine running, %1 on this version").arg(current)
                     : tr("%1 engines running, %2 on this version").arg(running).arg(current);
    m_summary->setText(tr("control version %1").arg(state.version) + u" · "_s + engines +
                       (m_readOnly ? u" · "_s + tr("read-only") : QString()));
    emit stateLoaded(state.version);
}

void ControlPage::rebuildFlagWidgets() {
    m_toggles.clear();
    m_clears.clear();
    if (m_readOnly) {
        return;
    }
    for (int row = 0; row < m_flagModel->rowCount(); ++row) {
        const QString name = m_flagModel->flagAt(row)->name;
        // A switch over the value's cell; it shows the stored value and only changes through
        // the database.
        auto* holder = new QWidget;
        holder->setAutoFillBackground(true);
        holder->setBackgroundRole(QPalette::Base);
        auto* toggle = new QCheckBox(holder);
        toggle->setObjectName(u"toggle_"_s + name);
        toggle->setAccessibleName(tr("%1 enabled").arg(name));
        auto* holderLayout = new QHBoxLayout(holder);
        holderLayout->setContentsMargins(6, 0, 6, 0);
        holderLayout->addWidget(toggle);
        holderLayout->addStretch(1); // the switch keeps its size: a click on it hits it
        m_flagTable->setIndexWidget(m_flagModel->index(row, FlagTableModel::Value), holder);
        connect(toggle, &QCheckBox::clicked, this, [this, name](bool checked) {
            updateFlagWidgets(); // back to the stored value until the change is made
            requestFlag(name, checked);
        });

        auto* clear = new QPushButton(tr("Clear override…"));
        clear->setObjectName(u"clear_"_s + name);
        clear->setToolTip(tr("Remove the override: the environment's value or the default "
                             "applies again"));
        m_flagTable->setIndexWidget(m_flagModel->index(row, FlagTableModel::Actions), clear);
        connect(clear, &QPushButton::clicked, this, [this, name] { requestClear(name); });
        m_toggles.insert(name, toggle);
        m_clears.insert(name, clear);
        m_flagTable->setColumnWidth(FlagTableModel::Actions, clear->sizeHint().width() + 4);
        toggle->setText(tr("Off")); // sized for the longer text; updateFlagWidgets() sets it
        m_flagTable->setColumnWidth(FlagTableModel::Value,
                                    std::max(m_flagTable->columnWidth(FlagTableModel::Value),
                                             toggle->sizeHint().width() + 24));
    }
    updateFlagWidgets();
}

void ControlPage::updateFlagWidgets() {
    for (const core::FlagValue& flag : m_flagModel->flags()) {
        if (QAbstractButton* toggle = m_toggles.value(flag.name)) {
            toggle->setChecked(flag.enabled);
            toggle->setText(flag.enabled ? tr("On") : tr("Off"));
        }
        if (QPushButton* clear = m_clears.value(flag.name)) {
            clear->setEnabled(flag.source == core::FlagSource::Override ||
                              flag.source == core::FlagSource::Rollback);
        }
    }
}

void ControlPage::showLoadError(const QString& message) {
    m_error->setText(tr("The control state cannot be read from the database: %1\nThe page shows "
                        "what was last read and tries again every second; changes made now are "
                        "refused as a whole.")
                         .arg(message));
    m_error->show();
}

void ControlPage::showResult(bool ok, const QString& message) {
    m_status->setText(message);
    QPalette p = m_status->palette();
    p.setColor(QPalette::WindowText,
               ok ? palette().color(QPalette::WindowText) : QColor(0xd6, 0x3a, 0x3a));
    m_status->setPalette(p);
    m_status->show();
}

void ControlPage::askAndChange(
    const QString& title, const QString& question, const QString& action, const QString& done,
    std::function<core::Status(core::ControlPlane&, const QString&)> change) {
    if (m_readOnly) {
        return;
    }
    auto* dialog = new ReasonDialog(title, question, action, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, done, change = std::move(change)] {
        const QString reason = dialog->reason();
        showResult(true, tr("Saving: %1…").arg(done));
        m_db->run(
            this,
            [clock = m_clock, change, reason](core::Database& db) -> core::Status {
                core::ControlPlane control(db, *clock);
                return change(control, reason);
            },
            [this, done](core::Status status) {
                if (!status) {
                    showResult(false, tr("Not changed (%1): %2").arg(done, status.error().message));
                } else {
                    showResult(true,
                               tr("Done: %1. Every engine applies it within a second.").arg(done));
                }
                reload();
            });
    });
    m_dialog = dialog;
    dialog->open();
}

void ControlPage::requestFlag(const QString& flag, bool enabled) {
    auto which = core::ControlPlane::flagByName(flag);
    if (!which) {
        return;
    }
    const core::Flag f = *which;
    askAndChange(enabled ? tr("Turn a flag on") : tr("Turn a flag off"),
                 enabled ? tr("Turn %1 on in every engine sharing this database? It stays an "
                              "override until someone clears it.")
                               .arg(flag)
                         : tr("Turn %1 off in every engine sharing this database? It stays an "
                              "override until someone clears it.")
                               .arg(flag),
                 enabled ? tr("Turn on") : tr("Turn off"),
                 enabled ? tr("%1 turned on").arg(flag) : tr("%1 turned off").arg(flag),
                 [f, enabled](core::ControlPlane& control, const QString& reason) {
                     return control.setFlag(f, enabled, reason);
                 });
}

void ControlPage::requestClear(const QString& flag) {
    auto which = core::ControlPlane::flagByName(flag);
    if (!which) {
        return;
    }
    const core::Flag f = *which;
    askAndChange(tr("Clear an override"),
                 tr("Clear the override of %1? The environment's value or the default applies "
                    "again in every engine.")
                     .arg(flag),
                 tr("Clear override"), tr("override of %1 cleared").arg(flag),
                 [f](core::ControlPlane& control, const QString& reason) {
                     return control.clearFlag(f, reason);
                 });
}

void ControlPage::requestRollout(const QString& name, int percentage) {
    const RolloutEditor* editor = m_rollouts.value(name);
    askAndChange(tr("Change a rollout"),
                 tr("Set the %1 rollout from %2 % to %3 %? %4")
                     .arg(name)
                     .arg(editor != nullptr ? editor->current() : 0)
                     .arg(percentage)
                     .arg(editor != nullptr ? editor->previewLabel()->text() : QString()),
                 tr("Apply"), tr("%1 rollout set to %2 %").arg(name).arg(percentage),
                 [name, percentage](core::ControlPlane& control, const QString& reason) {
                     return control.setRollout(name, percentage, reason);
                 });
}

void ControlPage::requestPreview(const QString& name, int percentage) {
    m_db->run<qint64>(
        this,
        [clock = m_clock, name, percentage](core::Database& db) -> core::Result<qint64> {
            return core::ControlPlane(db, *clock).rolloutPreview(name, percentage);
        },
        [this, name, percentage](core::Result<qint64> moved) {
            RolloutEditor* editor = m_rollouts.value(name);
            if (editor == nullptr) {
                return;
            }
            if (moved) {
                editor->showPreview(percentage, *moved);
            } else {
                editor->showPreviewError(percentage, moved.error().message);
            }
        });
}

void ControlPage::requestTrip(const QString& operation) {
    askAndChange(tr("Trip a circuit breaker"),
                 tr("Trip the %1 breaker? Every engine bypasses the optimized path for its "
                    "legacy twin until someone resets it.")
                     .arg(operation),
                 tr("Trip"), tr("%1 breaker tripped").arg(operation),
                 [operation](core::ControlPlane& control, const QString& reason) {
                     return control.tripBreaker(operation, reason);
                 });
}

void ControlPage::requestReset(const QString& operation) {
    askAndChange(tr("Reset a circuit breaker"),
                 tr("Reset the %1 breaker? Every engine closes it and uses the optimized path "
                    "again.")
                     .arg(operation),
                 tr("Reset"), tr("%1 breaker reset").arg(operation),
                 [operation](core::ControlPlane& control, const QString& reason) {
                     return control.resetBreaker(operation, reason);
                 });
}

void ControlPage::openRollback(bool forward) {
    if (m_readOnly) {
        return;
    }
    auto* dialog = new RollbackDialog(forward ? RollbackDialog::Mode::RollForward
                                              : RollbackDialog::Mode::Rollback,
                                      m_db, m_clock, m_ackTimeout, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RollbackDialog::changed, this, &ControlPage::reload);
    m_dialog = dialog;
    dialog->open();
}

} // namespace trackwatch::ui
