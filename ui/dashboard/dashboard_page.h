// SPDX-License-Identifier: MIT
#pragma once

#include "dashboard/dashboard_point.h"
#include "dashboard/live_ring.h"
#include "dashboard/metric_plot.h"
#include "engine/engine.h"

#include <QDateTime>
#include <QHash>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <memory>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QListWidget;
class QPushButton;
class QToolButton;

namespace trackwatch::core {
class Clock;
class DatabaseWorker;
struct AuditEntry;
} // namespace trackwatch::core

namespace trackwatch::ui {

class StatTile;

// The live dashboard: throughput, cache hit rate, query and API latency, error rate, queue
// depth, CPU and memory, each against the seed's target, over the last 5 minutes, hour, day or
// a custom range; control-plane changes (flags, rollouts, breakers, rollbacks) as markers on
// every plot; tiles coloured against the targets, the firing alerts and the health; one engine
// or the whole fleet.
//
// This engine's snapshots are kept in a ring (24 hours at 1 Hz) and appended to the plots as
// they come; stored history (metric_snapshots) fills what precedes them and is the only source
// for another engine or the fleet. Every database read goes through the DatabaseWorker (null:
// live data only). Following live moves the x axes with the clock; pausing, dragging or
// zooming stops that, and the x axes of all plots move together. Lives on the UI thread.
class DashboardPage : public QWidget {
    Q_OBJECT
public:
    enum class Range { FiveMinutes, OneHour, Day, Custom };

    DashboardPage(core::DatabaseWorker* db, std::shared_ptr<const core::Clock> clock,
                  QWidget* parent = nullptr);
    ~DashboardPage() override;

    // Plots by object name: throughput, cacheHitRate, queryLatency, apiLatency, errorRate,
    // queueDepth, cpu, memory.
    MetricPlot* plot(const QString& objectName) const;
    const QList<MetricPlot*>& plots() const { return m_plots; }
    // Tiles by object name: emailsPerHour, webhookJobs, cacheHitRate, queryP95, apiP95,
    // errorRate, queueDepth, cpu, memory, health.
    StatTile* tile(const QString& objectName) const;
    // The firing alerts as listed ("HighErrorRate · critical · for 3 min: ...").
    QStringList alertLines() const;
    // The engine selector: "this engine", "the fleet", then every engine on the database.
    QComboBox* engineSelector() const { return m_engineBox; }
    int liveCount() const { return m_ring.size(); }

    Range range() const { return m_range; }
    void setRange(Range range);
    void setCustomRange(const QDateTime& from, const QDateTime& to); // and shows it
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);

public slots:
    void showSnapshot(const trackwatch::core::EngineSnapshot& snapshot);
    // Reads the engines, the audit log and (for another engine or the fleet) the history now
    // rather than at the next poll.
    void refresh();

signals:
    // After a history read has been merged into the plots (for tests and the shell).
    void historyLoaded();
    void annotationsLoaded();
    void enginesLoaded();

protected:
    void showEvent(QShowEvent* event) override;

private:
    enum class View { ThisEngine, Fleet, OtherEngine };
    struct Window {
        double lower = 0;
        double upper = 0;
    };

    void buildUi();
    MetricPlot* addPlot(const QString& name, const QString& title, const QString& unit,
                        QList<MetricPlot::Series> series, QList<MetricPlot::TargetLine> targets);
    StatTile* addTile(const QString& name, const QString& caption, const QString& detail);

    double nowKey() const;
    Window followWindow() const;
    static double spanOf(Range range);
    double historyStep(double span) const;
    void applyXRange(double lower, double upper);
    void follow();
    void onUserRange(MetricPlot* source, double lower, double upper);
    void onViewChanged();
    void rebuildThisEngine();
    // How a history read joins the plots: before what they hold, instead of it, or instead of
    // its newest buckets.
    enum class HistoryMerge { Prepend, Replace, Tail };
    void requestHistory(double from, double to, HistoryMerge merge);
    void ensureHistory();
    void pollTail();
    void requestAnnotations();
    void requestEngines();
    void applyAnnotations(const QList<core::AuditEntry>& entries);
    void showFigures(const DashboardPoint& point);
    void showAlerts();
    void showHealth();
    void markDirty();
    void flush();
    void flushStep();
    void setStatus(const QString& text);
    void showError(const QString& text); // until a read succeeds
    void clearError();

    core::DatabaseWorker* m_db;
    std::shared_ptr<const core::Clock> m_clock;

    LiveRing m_ring;
    QString m_thisEngineId;
    QList<core::AlertStatus> m_alerts;
    core::HealthReport m_health;
    bool m_haveSnapshot = false;
    QList<core::EngineInstance> m_engines;

    View m_view = View::ThisEngine;
    QString m_viewEngine; // OtherEngine: its id
    Range m_range = Range::OneHour;
    Window m_custom;
    bool m_paused = false;
    int m_generation = 0; // bumped when the view changes: older reads are dropped
    double m_historyFrom; // this engine: the earliest time history was read from (NaN: none)
    double m_historyStep = 0;
    bool m_annotationsPending = false;
    bool m_annotationsAgain = false; // asked for while one was loading
    bool m_enginesPending = false;
    bool m_enginesAgain = false;
    bool m_tailPending = false;
    QList<qint64> m_annotationIds;
    QStringList m_alertTexts;
    bool m_dirty = false;
    bool m_statusIsError = false;

    QList<MetricPlot*> m_plots;
    QHash<QString, StatTile*> m_tiles;
    QComboBox* m_engineBox = nullptr;
    QComboBox* m_rangeBox = nullptr;
    QDateTimeEdit* m_fromEdit = nullptr;
    QDateTimeEdit* m_toEdit = nullptr;
    QPushButton* m_applyCustom = nullptr;
    QToolButton* m_pauseButton = nullptr;
    QLabel* m_followLabel = nullptr;
    QLabel* m_status = nullptr;
    QListWidget* m_alertList = nullptr;
    QTimer m_repaint;        // coalesces updates into one refresh of the plots
    QTimer m_flushStepTimer; // the next plot of that refresh
    qsizetype m_flushNext = 0;
    QTimer m_poll;            // engines, annotations and the history tail, every few seconds
    QTimer m_historyDebounce; // after a drag or zoom
};

} // namespace trackwatch::ui
