// SPDX-License-Identifier: MIT
#pragma once

#include "tracking/email_query_service.h"

#include <QDateTime>
#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QPushButton;
class QValueAxis;

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

// Hourly tracking analytics from tracked_emails_hourly_metrics (PostgreSQL's materialized view,
// SQLite's engine-kept rollup): emails sent, replied and bounced per hour, the reply rate, and
// the median and P90 time to reply, for one account or all, over a time range. Loads through
// the database worker when shown and whenever the account or range changes; a load still on its
// way when another starts is ignored.
class AnalyticsPage : public QWidget {
    Q_OBJECT
public:
    explicit AnalyticsPage(core::DatabaseWorker* db, QWidget* parent = nullptr);

    // Shows this range instead of the last hours the range selector offers.
    void setRange(const QDateTime& since, const QDateTime& until);
    // An account's address; empty: every account together.
    void setAccount(const QString& address);

    // The series by object name: "sentSeries", "repliedSeries", "bouncedSeries",
    // "replyRateSeries" (percent), "medianReplySeries", "p90ReplySeries" (minutes).
    QLineSeries* series(const QString& objectName) const;
    QString summaryText() const;
    const QList<core::AnalyticsRow>& rows() const { return m_rows; }

public slots:
    void refresh();

signals:
    void loaded();
    void loadFailed(const QString& message);

protected:
    void showEvent(QShowEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void loadAccounts();
    void showRows(const QList<core::AnalyticsRow>& rows, const QDateTime& since,
                  const QDateTime& until);
    void applyChartTheme();
    QChartView* addChart(const QString& title, QDateTimeAxis** xAxis, QValueAxis** yAxis,
                         const QString& yTitle);

    core::DatabaseWorker* m_db;
    QComboBox* m_account;
    QComboBox* m_range;
    QPushButton* m_refresh;
    QLabel* m_summary;
    QList<QChartView*> m_views;
    QLineSeries* m_sent;
    QLineSeries* m_replied;
    QLineSeries* m_bounced;
    QLineSeries* m_replyRate;
    QLineSeries* m_median;
    QLineSeries* m_p90;
    QDateTimeAxis* m_volumeX = nullptr;
    QValueAxis* m_volumeY = nullptr;
    QDateTimeAxis* m_rateX = nullptr;
    QValueAxis* m_rateY = nullptr;
    QDateTimeAxis* m_replyX = nullptr;
    QValueAxis* m_replyY = nullptr;
    QDateTime m_customSince;
    QDateTime m_customUntil;
    QList<core::AnalyticsRow> m_rows;
    quint64 m_generation = 0;
    bool m_accountsLoaded = false;
    bool m_shownOnce = false;
};

} // namespace trackwatch::ui
