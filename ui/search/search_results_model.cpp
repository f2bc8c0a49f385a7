// SPDX-License-Identifier: MIT
#include "search/search_results_model.h"

#include "storage/database.h"
#include "storage/database_worker.h"

#include <QLocale>

namespace trackwatch::ui {

using namespace Qt::StringLiterals;

namespace {

QString localTime(const QDateTime& t) {
    return t.isValid() ? t.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss"_s) : QString();
}

QString utcTime(const QDateTime& t) {
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QString();
}

} // namespace

SearchResultsModel::SearchResultsModel(core::DatabaseWorker* db, QObject* parent)
    : QAbstractTableModel(parent)
    , m_db(db) {}

void SearchResultsModel::search(const core::EmailSearchFilter& filter) {
    beginResetModel();
    ++m_generation; // whatever is still on its way belongs to an older search
    m_filter = filter;
    m_rows.clear();
    m_next.reset();
    m_active = true;
    m_loading = false;
    m_firstPageMs = -1;
    endResetModel();
    m_timer.start();
    request();
}

void SearchResultsModel::clear() {
    beginResetModel();
    ++m_generation;
    m_rows.clear();
    m_next.reset();
    m_active = false;
    const bool wasLoading = m_loading;
    m_loading = false;
    endResetModel();
    if (wasLoading) {
        emit loadingChanged(false);
    }
}

void SearchResultsModel::request() {
    if (!m_db) {
        emit failed(tr("No database connection."));
        return;
    }
    m_loading = true;
    emit loadingChanged(true);
    const quint64 generation = m_generation;
    const core::EmailSearchFilter filter = m_filter;
    const std::optional<core::EmailSearchCursor> after = m_next;
    const int limit = m_pageSize;
    m_db->run<core::EmailSearchPage>(
        this,
        [filter, after, limit](core::Database& db) {
            return core::EmailSearch(db).page(filter, after, limit);
        },
        [this, generation](core::Result<core::EmailSearchPage> page) {
            if (generation != m_generation) {
                return; // an older search's page
            }
            m_loading = false;
            if (!page) {
                emit loadingChanged(false);
                emit failed(page.error().message);
                return;
            }
            if (m_firstPageMs < 0) {
                m_firstPageMs = m_timer.elapsed();
            }
            // The cursor moves before the rows go in: a view that asks for more while they are
            // being inserted must ask for the page after these.
            m_next = page->next;
            const auto& rows = page->rows;
            if (!rows.isEmpty()) {
                beginInsertRows({}, static_cast<int>(m_rows.size()),
                                static_cast<int>(m_rows.size() + rows.size() - 1));
                m_rows.append(rows);
                endInsertRows();
            }
            if (generation != m_generation) {
                return; // a view started a new search while the rows went in
            }
            emit loadingChanged(m_loading); // a view may already have asked for the next page
            emit pageLoaded(static_cast<int>(rows.size()), m_next.has_value());
        });
}

int SearchResultsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int SearchResultsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString SearchResultsModel::statusText(const QString& status) {
    if (status == u"active") {
        return tr("Awaiting reply");
    }
    if (status == u"replied") {
        return tr("Replied");
    }
    if (status == u"bounced") {
        return tr("Bounced");
    }
    if (status == u"expired") {
        return tr("Expired");
    }
    if (status == u"stopped") {
        return tr("Stopped");
    }
    return status;
}

QString SearchResultsModel::matchText(const QString& method) {
    if (method == u"in_reply_to") {
        return tr("In-Reply-To");
    }
    if (method == u"references") {
        return tr("References");
    }
    if (method == u"conversation") {
        return tr("Conversation");
    }
    return method;
}

QVariant SearchResultsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size() || index.column() >= ColumnCount) {
        return {};
    }
    const core::EmailSearchRow& r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Sent:
            return localTime(r.sentAt);
        case Account:
            return r.account;
        case Recipients:
            return r.recipients;
        case Subject:
            return r.subject;
        case Status:
            return statusText(r.status);
        case Replied:
            return localTime(r.repliedAt);
        case Match:
            return matchText(r.matchMethod);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == Subject || index.column() == Recipients) {
            return index.column() == Subject ? r.subject : r.recipients;
        }
        if (index.column() == Sent || index.column() == Replied) {
            return utcTime(index.column() == Sent ? r.sentAt : r.repliedAt);
        }
        return {};
    case IdRole:
        return r.id;
    case RowRole:
        return index.row();
    default:
        return {};
    }
}

QVariant SearchResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case Sent:
        return tr("Sent");
    case Account:
        return tr("Account");
    case Recipients:
        return tr("Recipients");
    case Subject:
        return tr("Subject");
    case Status:
        return tr("Status");
    case Replied:
        return tr("Replied");
    case Match:
        return tr("Matched by");
    default:
        return {};
    }
}

bool SearchResultsModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && m_active && !m_loading && m_next.has_value();
}

void SearchResultsModel::fetchMore(const QModelIndex& parent) {
    if (canFetchMore(parent)) {
        request();
    }
}

QString SearchResultsModel::csvField(const QString& value) {
    // A subject or address is someone else's text: one that a spreadsheet would run as a
    // formula (=, +, -, @ first) is kept as text with a leading apostrophe.
    static const QString formulaStarts = u"=+-@\t\r"_s;
    const QString text =
        !value.isEmpty() && formulaStarts.contains(value.front()) ? u'\'' + value : value;
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n') &&
        !text.contains(u'\r')) {
        return text;
    }
    QString quoted = text;
    quoted.replace(u"\""_s, u"\"\""_s);
    return u'"' + quoted + u'"';
}

QStringList SearchResultsModel::fields(const core::EmailSearchRow& r) const {
    return {utcTime(r.sentAt),    r.account,     r.sender,
            r.recipients,         r.subject,     r.status,
            utcTime(r.repliedAt), r.matchMethod, QString::number(r.responseCount),
            r.messageId};
}

QString SearchResultsModel::toCsv(const QList<int>& rows) const {
    // Machine-readable: the stored values (status and match method as codes, UTC times).
    QString out = u"sent_at,account,sender,recipients,subject,status,replied_at,match_method,"
                  u"responses,message_id\r\n"_s;
    const auto append = [&](int i) {
        QStringList cols;
        for (const QString& f : fields(m_rows.at(i))) {
            cols << csvField(f);
        }
        out += cols.join(u',') + u"\r\n"_s;
    };
    if (rows.isEmpty()) {
        for (int i = 0; i < m_rows.size(); ++i) {
            append(i);
        }
    } else {
        for (int i : rows) {
            append(i);
        }
    }
    return out;
}

QString SearchResultsModel::toText(const QList<int>& rows) const {
    QStringList lines;
    const auto append = [&](int i) {
        QStringList cols = fields(m_rows.at(i));
        for (QString& c : cols) {
            c.replace(u'\t', u' ').replace(u'\n', u' ').replace(u'\r', u' ');
        }
        lines << cols.join(u'\t');
    };
    if (rows.isEmpty()) {
        for (int i = 0; i < m_rows.size(); ++i) {
            append(i);
        }
    } else {
        for (int i : rows) {
            append(i);
        }
    }
    return lines.join(u'\n') + u'\n';
}

} // namespace trackwatch::ui
