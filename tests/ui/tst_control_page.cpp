// SPDX-License-Identifier: MIT
// The control page, clicked through as an on-call engineer would: toggling a flag writes the
// override and its audit row, a breaker trips only with a reason, the rollback dialog lists the
// flags it changes and its confirmation runs the rollback (roll-forward restores them), the
// rollout preview counts the accounts that move, the audit filter narrows the log, read-only
// mode has no control, and a failing database is shown without anything half-changed.
#include "control/audit_log_model.h"
#include "control/audit_log_view.h"
#include "control/breaker_tile.h"
#include "control/control_page.h"
#include "control/flag_table_model.h"
#include "control/reason_dialog.h"
#include "control/rollback_dialog.h"
#include "control/rollout.h"
#include "control/rollout_editor.h"
#include "engine/engine_registry.h"
#include "shell/theme.h"
#include "storage/database_worker.h"
#include "storage/tracked_email_repository.h"

#include "../support/test_databases.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTest>

using namespace trackwatch;
using namespace trackwatch::core;
using namespace trackwatch::ui;
using namespace Qt::StringLiterals;

namespace {

const QString kFlag = u"useOptimizedQueries"_s;

// The page as the console shows it, on its own worker, loaded once.
struct Console {
    explicit Console(const ConnectionSpec& spec, bool readOnly = false)
        : worker(spec)
        , clock(std::make_shared<SystemClock>())
        , page(&worker, clock, readOnly) {
        page.resize(1400, 900);
        page.show();
    }
    bool loaded() {
        return QTest::qWaitFor([this] { return page.loadedVersion() >= 0; }, 10000);
    }
    DatabaseWorker worker;
    std::shared_ptr<SystemClock> clock;
    ControlPage page;
};

template <typename T> T* openDialog(const ControlPage& page) {
    return qobject_cast<T*>(page.openDialog());
}

qint64 auditRows(Database& db, const QString& action) {
    return test::scalar(db,
                        u"SELECT COUNT(*) FROM control_audit WHERE action = '%1'"_s.arg(action));
}

} // namespace

class TstControlPage : public QObject {
    Q_OBJECT
private slots:
    void toggleWritesOverrideAndAudit_data() { test::addDialectRows(); }
    void toggleWritesOverrideAndAudit() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock);

        Console console(tdb.spec());
        QAbstractItemModelTester tester(console.page.flagModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(console.loaded());
        FlagTableModel* model = console.page.flagModel();
        QCOMPARE(model->rowCount(), static_cast<int>(FeatureFlags::all().size()));
        const int row = model->rowOf(kFlag);
        QVERIFY(row >= 0);
        const bool before = model->flags()[row].enabled;
        QAbstractButton* toggle = console.page.flagToggle(kFlag);
        QVERIFY(toggle);
        QCOMPARE(toggle->isChecked(), before);

        // Cancel: nothing changes, and the switch shows the stored value again.
        QTest::mouseClick(toggle, Qt::LeftButton);
        auto* ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QVERIFY(ask->isVisible());
        QCOMPARE(toggle->isChecked(), before);
        QVERIFY(!ask->actionButton()->isEnabled());
        QPointer<ReasonDialog> cancelled(ask);
        QTest::keyClick(ask, Qt::Key_Escape);
        QTRY_VERIFY(cancelled.isNull() || !cancelled->isVisible());
        QCOMPARE(control.flag(Flag::UseOptimizedQueries).value().source, FlagSource::Default);
        QCOMPARE(auditRows(*db, u"flag.set"_s), 0);

        // With a reason: the override is written and audited, and the page shows it.
        QTest::mouseClick(toggle, Qt::LeftButton);
        ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QTest::keyClicks(ask->reasonEdit(), u"p95 regression, INC-142"_s);
        QVERIFY(ask->actionButton()->isEnabled());
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QTRY_COMPARE(auditRows(*db, u"flag.set"_s), 1);
        const FlagValue stored = control.flag(Flag::UseOptimizedQueries).value();
        QCOMPARE(stored.source, FlagSource::Override);
        QCOMPARE(stored.enabled, !before);
        QCOMPARE(test::scalar(*db, u"SELECT COUNT(*) FROM control_audit WHERE target = "
                                   u"'flag:useOptimizedQueries' AND reason = "
                                   u"'p95 regression, INC-142'"_s),
                 1);
        QTRY_COMPARE(model->flags()[row].source, FlagSource::Override);
        QCOMPARE(model->index(row, FlagTableModel::Source).data().toString(), u"override"_s);
        QVERIFY(!model->index(row, FlagTableModel::ChangedBy).data().toString().isEmpty());
        QCOMPARE(toggle->isChecked(), !before);
        QVERIFY(console.page.statusLabel()->text().contains(kFlag));
        QTRY_VERIFY(console.page.auditLog()->model()->rowCount() >= 1);

        // Clear the override: back to the default, audited as flag.clear.
        QPushButton* clear = console.page.clearOverrideButton(kFlag);
        QVERIFY(clear && clear->isEnabled());
        QTest::mouseClick(clear, Qt::LeftButton);
        ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QTest::keyClicks(ask->reasonEdit(), u"fixed in 4.2"_s);
        QTest::keyClick(ask->reasonEdit(), Qt::Key_Return);
        QTRY_COMPARE(auditRows(*db, u"flag.clear"_s), 1);
        QCOMPARE(control.flag(Flag::UseOptimizedQueries).value().source, FlagSource::Default);
        QTRY_COMPARE(model->flags()[row].source, FlagSource::Default);
        QVERIFY(!clear->isEnabled());
    }

    void tripNeedsAReason() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        Console console(tdb.spec());
        QVERIFY(console.loaded());
        BreakerTile* tile = console.page.breakerTile(u"queryCache"_s);
        QVERIFY(tile);
        QCOMPARE(tile->shownState(), u"closed"_s);
        QVERIFY(tile->tripButton()->isEnabled());
        QVERIFY(!tile->resetButton()->isEnabled());

        QTest::mouseClick(tile->tripButton(), Qt::LeftButton);
        auto* ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        // Empty, or only spaces: refused, whether by the button or by Enter.
        QVERIFY(!ask->actionButton()->isEnabled());
        QTest::keyClick(ask->reasonEdit(), Qt::Key_Return);
        QTest::keyClicks(ask->reasonEdit(), u"   "_s);
        QVERIFY(!ask->actionButton()->isEnabled());
        QTest::keyClick(ask->reasonEdit(), Qt::Key_Return);
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QVERIFY(ask->isVisible());
        QCOMPARE(auditRows(*db, u"breaker.trip"_s), 0);

        QTest::keyClicks(ask->reasonEdit(), u"cache returns stale rows"_s);
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QTRY_COMPARE(test::scalar(*db, u"SELECT COUNT(*) FROM circuit_breakers WHERE operation = "
                                       u"'queryCache' AND state = 'forced_open'"_s),
                     1);
        QCOMPARE(auditRows(*db, u"breaker.trip"_s), 1);
        QTRY_COMPARE(tile->shownState(), u"forced_open"_s);
        QCOMPARE(BreakerTile::stateColour(tile->shownState()), QColor(0xd6, 0x3a, 0x3a));
        QVERIFY(!tile->tripButton()->isEnabled());
        QVERIFY(tile->resetButton()->isEnabled());

        QTest::mouseClick(tile->resetButton(), Qt::LeftButton);
        ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QTest::keyClicks(ask->reasonEdit(), u"cache fixed"_s);
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QTRY_COMPARE(tile->shownState(), u"closed"_s);
        QCOMPARE(auditRows(*db, u"breaker.reset"_s), 1);
    }

    // An engine's own breaker state shows on the tile: open in one engine makes it red.
    void engineBreakersColourTheTile() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        EngineRegistry engine(*db, clock);
        QVERIFY(engine.registerSelf(u"daemon"_s).ok());
        QVERIFY(engine.heartbeat(0, {}).ok());
        BreakerTransition t;
        t.at = clock.now();
        t.from = BreakerState::HalfOpen;
        t.to = BreakerState::HalfOpen;
        t.cause = u"open period over"_s;
        QVERIFY(engine.reportTransitions(u"rateLimiter"_s, {t}, 2, 10, 4).ok());

        Console console(tdb.spec());
        QVERIFY(console.loaded());
        BreakerTile* tile = console.page.breakerTile(u"rateLimiter"_s);
        QVERIFY(tile);
        QCOMPARE(tile->shownState(), u"half_open"_s);
        QCOMPARE(BreakerTile::stateColour(tile->shownState()), QColor(0xd0, 0x8a, 0x00));
        const QString engines = tile->findChild<QLabel*>(u"engines"_s)->text();
        QVERIFY2(engines.contains(engine.id().left(8)), qPrintable(engines));
        QVERIFY2(engines.contains(u"4 of 10"_s), qPrintable(engines));
        QCOMPARE(console.page.breakerTile(u"queryCache"_s)->shownState(), u"closed"_s);

        // An automatic transition changes no control version; the page still picks it up.
        const qint64 version = console.page.loadedVersion();
        t.from = BreakerState::Closed;
        t.to = BreakerState::Open;
        t.cause = u"failure threshold"_s;
        QVERIFY(engine.heartbeat(0, {}).ok());
        QVERIFY(engine.reportTransitions(u"queryCache"_s, {t}, 5, 8, 5).ok());
        QTRY_COMPARE_WITH_TIMEOUT(console.page.breakerTile(u"queryCache"_s)->shownState(),
                                  u"open"_s, 10000);
        QCOMPARE(console.page.loadedVersion(), version);
    }

    void rollbackAndRollForward_data() { test::addDialectRows(); }
    void rollbackAndRollForward() {
        QFETCH(Dialect, dialect);
        TW_TEST_DATABASE(tdb, dialect);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock);
        QVERIFY(control.setFlag(Flag::UseOptimizedQueries, true, u"phase 2"_s).ok());
        EngineRegistry engine(*db, clock);
        QVERIFY(engine.registerSelf(u"daemon"_s).ok());
        QVERIFY(engine.heartbeat(control.version().value(), {}).ok());

        Console console(tdb.spec());
        console.page.setAcknowledgeTimeout(std::chrono::seconds(8));
        QVERIFY(console.loaded());
        QVERIFY(!console.page.rollbackBanner()->isVisible());
        QVERIFY(!console.page.rollForwardButton()->isEnabled());

        QTest::mouseClick(console.page.rollbackButton(), Qt::LeftButton);
        auto* dialog = openDialog<RollbackDialog>(console.page);
        QVERIFY(dialog);
        QTRY_COMPARE(dialog->stage(), RollbackDialog::Stage::Ready);
        // Exactly the rollback flags, with what they are now and what they become.
        QTableWidget* plan = dialog->planTable();
        QCOMPARE(plan->rowCount(), static_cast<int>(ControlPlane::rollbackFlags().size()));
        QStringList listed;
        for (int r = 0; r < plan->rowCount(); ++r) {
            listed << plan->item(r, 0)->text();
            QCOMPARE(plan->item(r, 2)->text(), u"off (rollback)"_s);
        }
        QStringList expected;
        for (Flag f : ControlPlane::rollbackFlags()) {
            expected << FeatureFlags::info(f).name;
        }
        listed.sort();
        expected.sort();
        QCOMPARE(listed, expected);
        QVERIFY(!listed.contains(u"enablePerformanceMonitoring"_s));
        const auto rowOf = [](const QTableWidget* table, const QString& flag) {
            for (int r = 0; r < table->rowCount(); ++r) {
                if (table->item(r, 0)->text() == flag) {
                    return r;
                }
            }
            return -1;
        };
        QCOMPARE(plan->item(rowOf(plan, kFlag), 1)->text(), u"on (override)"_s);

        // A reason and the explicit confirmation, both required.
        QVERIFY(!dialog->runButton()->isEnabled());
        QTest::keyClicks(dialog->reasonEdit(), u"INC-150: error rate 12%"_s);
        QVERIFY(!dialog->runButton()->isEnabled());
        QTest::mouseClick(dialog->confirmBox(), Qt::LeftButton);
        QVERIFY(dialog->confirmBox()->isChecked());
        QVERIFY(dialog->runButton()->isEnabled());
        QTest::mouseClick(dialog->runButton(), Qt::LeftButton);

        // The engine applies the new version while the dialog waits.
        QTRY_COMPARE(dialog->stage(), RollbackDialog::Stage::Waiting);
        QVERIFY(!dialog->closeButton()->isEnabled());
        QVERIFY(dialog->controlVersion() > 0);
        QVERIFY(
            engine.heartbeat(dialog->controlVersion(), {u"degraded"_s, {u"legacy paths"_s}}).ok());
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), RollbackDialog::Stage::Done, 10000);
        QTableWidget* engines = dialog->engineTable();
        QCOMPARE(engines->rowCount(), 1);
        QCOMPARE(engines->item(0, 0)->text(), engine.id().left(8));
        QVERIFY(engines->item(0, 2)->text().startsWith(u"yes"_s));
        QCOMPARE(engines->item(0, 3)->text(), u"degraded"_s);
        QVERIFY2(dialog->statusLabel()->text().contains(u"acknowledged"_s),
                 qPrintable(dialog->statusLabel()->text()));

        for (Flag f : ControlPlane::rollbackFlags()) {
            const FlagValue v = control.flag(f).value();
            QVERIFY(!v.enabled);
            QCOMPARE(v.source, FlagSource::Rollback);
        }
        QTRY_VERIFY(console.page.rollbackBanner()->isVisible());
        QVERIFY(console.page.rollbackBanner()->text().contains(u"INC-150"_s));
        QVERIFY(console.page.rollForwardButton()->isEnabled());
        QCOMPARE(console.page.flagModel()->flags()[console.page.flagModel()->rowOf(kFlag)].source,
                 FlagSource::Rollback);
        const qint64 rolledBack = dialog->controlVersion();
        QPointer<RollbackDialog> closed(dialog);
        QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
        QTRY_VERIFY(closed.isNull());

        // Roll forward; this time the engine does not acknowledge in time, and the dialog says so.
        // A fresh heartbeat on the old version: running, but not acknowledging.
        QVERIFY(engine.heartbeat(rolledBack, {}).ok());
        console.page.setAcknowledgeTimeout(std::chrono::milliseconds(600));
        QTest::mouseClick(console.page.rollForwardButton(), Qt::LeftButton);
        dialog = openDialog<RollbackDialog>(console.page);
        QVERIFY(dialog);
        QCOMPARE(dialog->mode(), RollbackDialog::Mode::RollForward);
        QTRY_COMPARE(dialog->stage(), RollbackDialog::Stage::Ready);
        QCOMPARE(dialog->planTable()->rowCount(),
                 static_cast<int>(ControlPlane::rollbackFlags().size()));
        QCOMPARE(dialog->planTable()->item(rowOf(dialog->planTable(), kFlag), 2)->text(),
                 u"on (override)"_s);
        QTest::keyClicks(dialog->reasonEdit(), u"INC-150 resolved"_s);
        QTest::mouseClick(dialog->confirmBox(), Qt::LeftButton);
        QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), RollbackDialog::Stage::Done, 10000);
        QCOMPARE(dialog->engineTable()->rowCount(), 1);
        QVERIFY(dialog->engineTable()->item(0, 2)->text().startsWith(u"NO"_s));
        QVERIFY2(dialog->statusLabel()->text().contains(u"did not acknowledge"_s),
                 qPrintable(dialog->statusLabel()->text()));
        const FlagValue restored = control.flag(Flag::UseOptimizedQueries).value();
        QVERIFY(restored.enabled);
        QCOMPARE(restored.source, FlagSource::Override);
        QCOMPARE(control.flag(Flag::EnableQueryCaching).value().source, FlagSource::Default);
        QVERIFY(!control.activeRollback().value().has_value());
        QTRY_VERIFY(!console.page.rollbackBanner()->isVisible());
        QVERIFY(!console.page.rollForwardButton()->isEnabled());
    }

    void rolloutPreviewAndApply() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        TrackedEmailRepository repo(*db);
        const QString name = u"optimizedQueries"_s;
        qint64 expected = 0;
        for (int i = 0; i < 300; ++i) {
            const QString account = u"acct-%1@customer.example"_s.arg(i);
            QVERIFY(repo.ensureAccount(account).ok());
            const int bucket = Rollout::bucket(name, account);
            expected += bucket >= 25 && bucket < 80;
        }
        QVERIFY(expected > 0);

        Console console(tdb.spec());
        QVERIFY(console.loaded());
        RolloutEditor* editor = console.page.rolloutEditor(name);
        QVERIFY(editor);
        QCOMPARE(editor->current(), 25);
        QCOMPARE(editor->slider()->value(), 25);
        QVERIFY(!editor->applyButton()->isEnabled());

        // The slider moves the spin box, the spin box the slider; the preview follows.
        editor->slider()->setFocus();
        QTest::keyClick(editor->slider(), Qt::Key_PageUp);
        QCOMPARE(editor->spinBox()->value(), 35);
        QSpinBox* spin = editor->spinBox();
        spin->setFocus();
        QTest::keyClick(spin, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(spin, u"80"_s);
        QCOMPARE(spin->value(), 80);
        QCOMPARE(editor->slider()->value(), 80);
        QVERIFY(editor->applyButton()->isEnabled());
        QTRY_VERIFY2(editor->previewLabel()->text().contains(u" %1 account"_s.arg(expected)),
                     qPrintable(editor->previewLabel()->text()));

        QTest::mouseClick(editor->applyButton(), Qt::LeftButton);
        auto* ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QTest::keyClicks(ask->reasonEdit(), u"hit rate healthy"_s);
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QTRY_COMPARE(editor->current(), 80);
        QCOMPARE(test::scalar(*db, u"SELECT percentage FROM rollout_percentages WHERE rollout = "
                                   u"'optimizedQueries'"_s),
                 80);
        QCOMPARE(auditRows(*db, u"rollout.set"_s), 1);
        QVERIFY(!editor->applyButton()->isEnabled());
    }

    void auditFilterNarrowsRows() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        ManualClock clock(now.addSecs(-3 * 3600));
        ControlPlane alice(*db, clock, QProcessEnvironment(), u"alice"_s);
        ControlPlane bob(*db, clock, QProcessEnvironment(), u"bob"_s);
        QVERIFY(alice.setFlag(Flag::UseOptimizedQueries, false, u"old one"_s).ok());
        QVERIFY(bob.setRollout(u"caching"_s, 60, u"old two"_s).ok());
        clock.set(now.addSecs(-60));
        QVERIFY(alice.setFlag(Flag::EnableQueryCaching, false, u"new one"_s).ok());
        QVERIFY(bob.tripBreaker(u"queryCache"_s, u"new two"_s).ok());

        Console console(tdb.spec());
        AuditLogView* audit = console.page.auditLog();
        QAbstractItemModelTester tester(audit->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(console.loaded());
        QTRY_COMPARE(audit->model()->rowCount(), 4);
        QCOMPARE(audit->model()->index(0, AuditLogModel::Reason).data().toString(),
                 u"new two"_s); // newest first

        const auto filterBy = [audit](QLineEdit* edit, const QString& text) {
            edit->clear();
            QTest::keyClicks(edit, text);
            QTest::mouseClick(audit->applyButton(), Qt::LeftButton);
        };
        filterBy(audit->targetEdit(), u"flag:*"_s);
        QTRY_COMPARE(audit->model()->rowCount(), 2);
        for (int r = 0; r < 2; ++r) {
            QVERIFY(audit->model()
                        ->index(r, AuditLogModel::Target)
                        .data()
                        .toString()
                        .startsWith(u"flag:"_s));
        }
        filterBy(audit->targetEdit(), u"rollout:caching"_s);
        QTRY_COMPARE(audit->model()->rowCount(), 1);
        QCOMPARE(audit->model()->index(0, AuditLogModel::After).data().toString(), u"60"_s);

        filterBy(audit->targetEdit(), QString());
        filterBy(audit->actorEdit(), u"alice"_s);
        QTRY_COMPARE(audit->model()->rowCount(), 2);
        QVERIFY(
            audit->model()->index(0, AuditLogModel::Actor).data().toString().contains(u"alice"_s));

        filterBy(audit->actorEdit(), QString());
        QTRY_COMPARE(audit->model()->rowCount(), 4);
        audit->rangeBox()->setFocus();
        audit->rangeBox()->setCurrentIndex(audit->rangeBox()->findText(u"Last hour"_s));
        QTRY_COMPARE(audit->model()->rowCount(), 2);
        QCOMPARE(audit->model()->index(1, AuditLogModel::Reason).data().toString(), u"new one"_s);

        // A custom range around the older changes.
        audit->rangeBox()->setCurrentIndex(audit->rangeBox()->count() - 1);
        QVERIFY(audit->sinceEdit()->isVisible());
        QTRY_COMPARE(audit->model()->rowCount(), 4); // the default custom range: the last day
        audit->sinceEdit()->setDateTime(now.addSecs(-4 * 3600).toLocalTime());
        audit->untilEdit()->setDateTime(now.addSecs(-2 * 3600).toLocalTime());
        QTest::mouseClick(audit->applyButton(), Qt::LeftButton);
        QTRY_COMPARE(audit->model()->rowCount(), 2);
        QCOMPARE(audit->model()->index(0, AuditLogModel::Reason).data().toString(), u"old two"_s);
    }

    void readOnlyHasNoControls() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock);
        QVERIFY(control.tripBreaker(u"batchWebhooks"_s, u"queue stuck"_s).ok());
        QVERIFY(control.rollback(u"INC-9"_s).ok());

        Console console(tdb.spec(), /*readOnly=*/true);
        QVERIFY(console.loaded());
        ControlPage& page = console.page;
        QVERIFY(page.isReadOnly());
        // The state is there...
        QCOMPARE(page.flagModel()->rowCount(), static_cast<int>(FeatureFlags::all().size()));
        QCOMPARE(page.flagModel()->flags()[page.flagModel()->rowOf(kFlag)].source,
                 FlagSource::Rollback);
        QVERIFY(page.rollbackBanner()->isVisible());
        QCOMPARE(page.breakerTile(u"batchWebhooks"_s)->shownState(), u"forced_open"_s);
        QVERIFY(page.rolloutEditor(u"caching"_s));
        QCOMPARE(page.rolloutEditor(u"caching"_s)->findChild<QLabel*>(u"value"_s)->text(),
                 u"50 %"_s);
        QTRY_VERIFY(page.auditLog()->model()->rowCount() > 0);
        // ...and no control action exists.
        QVERIFY(page.flagToggle(kFlag) == nullptr);
        QVERIFY(page.clearOverrideButton(kFlag) == nullptr);
        QVERIFY(page.flagTable()->isColumnHidden(FlagTableModel::Actions));
        QVERIFY(page.rollbackButton() == nullptr);
        QVERIFY(page.rollForwardButton() == nullptr);
        QVERIFY(page.findChildren<QCheckBox*>().isEmpty());
        QVERIFY(page.findChildren<QSlider*>().isEmpty());
        QVERIFY(page.findChildren<QSpinBox*>().isEmpty());
        for (const QString& op : ControlPlane::breakerOperations()) {
            QVERIFY(page.breakerTile(op)->tripButton() == nullptr);
            QVERIFY(page.breakerTile(op)->resetButton() == nullptr);
        }
        QStringList buttons;
        for (const QPushButton* b : page.findChildren<QPushButton*>()) {
            buttons << b->objectName();
        }
        buttons.sort();
        QCOMPARE(buttons, (QStringList{u"auditClear"_s, u"auditFilter"_s})); // filters only
    }

    // The database refuses the change: the page says so and nothing is half-written.
    void aFailedChangeIsReportedAndNothingChanges() {
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        Console console(tdb.spec());
        QVERIFY(console.loaded());
        // The override would be written, but its audit row cannot be: the transaction fails.
        QVERIFY(db->exec(u"DROP TABLE control_audit"_s).ok());
        QAbstractButton* toggle = console.page.flagToggle(kFlag);
        const bool before = toggle->isChecked();
        QTest::mouseClick(toggle, Qt::LeftButton);
        auto* ask = openDialog<ReasonDialog>(console.page);
        QVERIFY(ask);
        QTest::keyClicks(ask->reasonEdit(), u"testing"_s);
        QTest::mouseClick(ask->actionButton(), Qt::LeftButton);
        QTRY_VERIFY2(console.page.statusLabel()->text().startsWith(u"Not changed"_s),
                     qPrintable(console.page.statusLabel()->text()));
        QCOMPARE(test::scalar(*db, u"SELECT COUNT(*) FROM feature_flag_overrides"_s), 0);
        QCOMPARE(toggle->isChecked(), before);
    }

    void anUnreachableDatabaseIsShown() {
        ConnectionSpec spec;
        spec.dialect = Dialect::Sqlite;
        spec.path = u"/proc/trackwatch-no-such-dir/x.db"_s;
        Console console(spec);
        QTRY_VERIFY(console.page.errorLabel()->isVisible());
        QVERIFY(!console.page.errorLabel()->text().isEmpty());
        QCOMPARE(console.page.loadedVersion(), -1);
        QCOMPARE(console.page.flagModel()->rowCount(), 0);
    }

    // Renders the page and its dialogs in both palettes to TRACKWATCH_SCREENSHOT_DIR, to look at.
    void screenshots() {
        const QString dir = qEnvironmentVariable("TRACKWATCH_SCREENSHOT_DIR");
        if (dir.isEmpty()) {
            QSKIP("set TRACKWATCH_SCREENSHOT_DIR to render the control page");
        }
        TW_TEST_DATABASE(tdb, Dialect::Sqlite);
        auto db = tdb.openMigrated();
        QVERIFY(db);
        SystemClock clock;
        ControlPlane control(*db, clock);
        TrackedEmailRepository repo(*db);
        for (int i = 0; i < 500; ++i) {
            QVERIFY(repo.ensureAccount(u"acct-%1@customer.example"_s.arg(i)).ok());
        }
        QVERIFY(control.setFlag(Flag::EnableBatchIngestion, true, u"bulk import week"_s).ok());
        QVERIFY(control.setRollout(u"caching"_s, 70, u"hit rate healthy"_s).ok());
        QVERIFY(control.tripBreaker(u"batchWebhooks"_s, u"queue stuck, INC-151"_s).ok());
        EngineRegistry a(*db, clock);
        EngineRegistry b(*db, clock);
        QVERIFY(a.registerSelf(u"daemon"_s).ok());
        QVERIFY(b.registerSelf(u"console"_s).ok());
        BreakerTransition t;
        t.at = clock.now();
        t.to = BreakerState::Open;
        t.cause = u"failure threshold"_s;
        QVERIFY(a.reportTransitions(u"rateLimiter"_s, {t}, 5, 20, 7).ok());
        t.to = BreakerState::HalfOpen;
        QVERIFY(b.reportTransitions(u"queryCache"_s, {t}, 0, 12, 1).ok());
        QVERIFY(a.heartbeat(control.version().value(), {}).ok());
        QVERIFY(b.heartbeat(control.version().value(), {}).ok());

        for (const auto& [theme, name] :
             {std::pair{Theme::Light, u"light"_s}, std::pair{Theme::Dark, u"dark"_s}}) {
            applyTheme(theme);
            QVERIFY(a.heartbeat(control.version().value(), {}).ok());
            QVERIFY(b.heartbeat(control.version().value(), {}).ok());
            Console console(tdb.spec());
            QVERIFY(console.loaded());
            QTRY_VERIFY(console.page.auditLog()->model()->rowCount() > 0);
            RolloutEditor* editor = console.page.rolloutEditor(u"optimizedQueries"_s);
            editor->spinBox()->setValue(60);
            QTRY_VERIFY(editor->previewLabel()->text().contains(u"→"_s));
            QVERIFY(console.page.grab().save(QDir(dir).filePath(u"control-%1.png"_s.arg(name))));

            QTest::mouseClick(console.page.breakerTile(u"optimizedQueries"_s)->tripButton(),
                              Qt::LeftButton);
            auto* ask = openDialog<ReasonDialog>(console.page);
            QVERIFY(ask);
            QVERIFY(ask->grab().save(QDir(dir).filePath(u"control-reason-%1.png"_s.arg(name))));
            ask->reject();

            console.page.setAcknowledgeTimeout(std::chrono::seconds(3));
            QTest::mouseClick(console.page.rollbackButton(), Qt::LeftButton);
            auto* dialog = openDialog<RollbackDialog>(console.page);
            QVERIFY(dialog);
            QTRY_COMPARE(dialog->stage(), RollbackDialog::Stage::Ready);
            QTest::keyClicks(dialog->reasonEdit(), u"INC-152: p99 over 2 s"_s);
            QTest::mouseClick(dialog->confirmBox(), Qt::LeftButton);
            QVERIFY(
                dialog->grab().save(QDir(dir).filePath(u"control-rollback-%1.png"_s.arg(name))));
            // Both running: a acknowledges below, b does not.
            QVERIFY(a.heartbeat(control.version().value(), {}).ok());
            QVERIFY(b.heartbeat(control.version().value(), {}).ok());
            QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
            QTRY_COMPARE(dialog->stage(), RollbackDialog::Stage::Waiting);
            QVERIFY(
                a.heartbeat(dialog->controlVersion(), {u"degraded"_s, {u"legacy paths"_s}}).ok());
            QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), RollbackDialog::Stage::Done, 15000);
            QVERIFY(dialog->grab().save(
                QDir(dir).filePath(u"control-rollback-done-%1.png"_s.arg(name))));
            QTest::mouseClick(dialog->closeButton(), Qt::LeftButton);
            QTRY_VERIFY(console.page.rollbackBanner()->isVisible());
            QVERIFY(console.page.grab().save(
                QDir(dir).filePath(u"control-rolled-back-%1.png"_s.arg(name))));
            QVERIFY(control.rollForward(u"reset for the next theme"_s).ok());
        }
    }
};

QTEST_MAIN(TstControlPage)
#include "tst_control_page.moc"
