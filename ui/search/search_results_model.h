// SPDX-License-Identifier: MIT
#pragma once

#include "tracking/email_search.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>

#include <optional>

namespace trackwatch::core {
class DatabaseWorker;
}

namespace trackwatch::ui {

// The rows of one tracked-email search, loaded a page at a time through the database worker as
// a view scrolls (canFetchMore/fetchMore): never more than the pages asked for. A new search
// drops the rows and ignores any page still on its way for the previous one (a generation
// counter). Lives on the UI thread; the worker must outlive it.
class SearchResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Sent, Subject, Recipients, Status, Replied, Match, Account, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, RowRole };

    explicit SearchResultsModel(core::DatabaseWorker* db, QObject* parent = nullptr);

    // Starts a search: the rows go, the first page is asked for.
    void search(const core::EmailSearchFilter& filter);
    // Stops showing results (an empty model, nothing loading).
    void clear();

    void setPageSize(int rows) { m_pageSize = rows; }
    int pageSize() const { return m_pageSize; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    const core::EmailSearchRow& row(int i) const { return m_rows.at(i); }
    const core::EmailSearchFilter& filter() const { return m_filter; }
    bool isLoading() const { return m_loading; }
    bool hasMore() const { return m_next.has_value(); }
    quint64 generation() const { return m_generation; }
    qint64 firstPageMs() const { return m_firstPageMs; } // -1 until the first page arrived

    // The rows (all loaded rows when `rows` is empty) as CSV (RFC 4180: a header line, fields
    // quoted when they hold a comma, a quote or a line break, CRLF line ends), times in UTC;
    // a field a spreadsheet would run as a formula starts with an apostrophe.
    QString toCsv(const QList<int>& rows = {}) const;
    // The same as tab-separated text for pasting into a spreadsheet.
    QString toText(const QList<int>& rows = {}) const;
    static QString csvField(const QString& value);

    static QString statusText(const QString& status);
    static QString matchText(const QString& method);

signals:
    void loadingChanged(bool loading);
    // A page arrived for the current search.
    void pageLoaded(int rows, bool more);
    // The current search failed (the message is the database's).
    void failed(const QString& message);

private:
    void request();
    QStringList fields(const core::EmailSearchRow& r) const;

    core::DatabaseWorker* m_db;
    core::EmailSearchFilter m_filter;
    QList<core::EmailSearchRow> m_rows;
    std::optional<core::EmailSearchCursor> m_next;
    quint64 m_generation = 0;
    bool m_loading = false;
    bool m_active = false;
    int m_pageSize = core::EmailSearch::kPageSize;
    QElapsedTimer m_timer;
    qint64 m_firstPageMs = -1;
};

} // namespace trackwatch::ui
