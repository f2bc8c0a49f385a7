// SPDX-License-Identifier: MIT
#include "storage/database.h"

#include "common/logging.h"
#include "metrics/metrics_registry.h"

#include <QAtomicInt>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>

#include <libpq-fe.h>

#include <chrono>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

QString nextConnectionName() {
    static QAtomicInt counter;
    return u"trackwatch-%1-%2"_s.arg(reinterpret_cast<quintptr>(QThread::currentThreadId()))
        .arg(counter.fetchAndAddRelaxed(1));
}

QString firstLine(const QString& sql) {
    const QString trimmed = sql.trimmed();
    const qsizetype nl = trimmed.indexOf(u'\n');
    return nl < 0 ? trimmed.left(120) : trimmed.left(std::min<qsizetype>(nl, 120));
}

// The statement's kind for its metrics label: its first keyword when it is a common one.
QString statementKind(const QString& sql) {
    static const QStringList kinds{
        u"select"_s,  u"insert"_s,   u"update"_s,    u"delete"_s,  u"with"_s,    u"begin"_s,
        u"commit"_s,  u"rollback"_s, u"set"_s,       u"create"_s,  u"drop"_s,    u"alter"_s,
        u"refresh"_s, u"listen"_s,   u"notify"_s,    u"pragma"_s,  u"vacuum"_s,  u"analyze"_s,
        u"explain"_s, u"lock"_s,     u"savepoint"_s, u"release"_s, u"truncate"_s};
    qsizetype start = 0;
    while (start < sql.size() && (sql[start].isSpace() || sql[start] == u'(')) {
        ++start;
    }
    qsizetype end = start;
    while (end < sql.size() && sql[end].isLetter()) {
        ++end;
    }
    const QString word = sql.mid(start, end - start).toLower();
    return kinds.contains(word) ? word : u"other"_s;
}

} // namespace

namespace {

// The driver's words for an error: the server's text, else the driver's, else the error's.
QString errorText(const QSqlError& e) {
    for (const QString& text : {e.databaseText(), e.driverText(), e.text()}) {
        if (!text.trimmed().isEmpty()) {
            return text.trimmed();
        }
    }
    return u"no error text from the driver"_s;
}

// A new SQLite file is created here, readable by its owner and group only (the WAL and shared
// memory files SQLite adds take the same mode), before the driver creates it world-readable.
QString createPrivateFile(const QString& path) {
    if (QFileInfo::exists(path)) {
        return {};
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                   QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup) &&
        !QFileInfo::exists(path)) { // another process may have created it just now
        return u"cannot create %1: %2"_s.arg(path, file.errorString());
    }
    return {};
}

// Two connections opening a new file at once race to switch it to WAL; the loser sees
// "database is locked" without the busy handler's help. WAL is a property of the file, so the
// loser waits for the winner: it retries (up to the busy timeout) until the file says "wal".
Status enableWal(Database& db) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto delay = std::chrono::milliseconds(2);
    for (;;) {
        auto r = db.exec(u"PRAGMA journal_mode=WAL"_s);
        if (r && r->next() && r->value(0).toString().compare(u"wal"_s, Qt::CaseInsensitive) == 0) {
            return {};
        }
        const QString why = r ? u"the file stays in another journal mode"_s : r.error().message;
        if (std::chrono::steady_clock::now() > deadline || (!r && !why.contains(u"locked"_s))) {
            return Error{ErrorCode::Unavailable, u"PRAGMA journal_mode=WAL: "_s + why};
        }
        QThread::msleep(static_cast<unsigned long>(delay.count())); // bounded: see deadline
        delay = std::min(delay * 2, std::chrono::milliseconds(100));
    }
}

} // namespace

Error sqlError(const QSqlQuery& query, const QString& what) {
    return Error{ErrorCode::DatabaseError, u"%1: %2"_s.arg(what, errorText(query.lastError()))};
}

Result<std::unique_ptr<Database>> Database::open(const ConnectionSpec& spec) {
    const QString name = nextConnectionName();
    const QString driver = spec.dialect == Dialect::Sqlite ? u"QSQLITE"_s : u"QPSQL"_s;
    if (!QSqlDatabase::isDriverAvailable(driver)) {
        return Error{ErrorCode::Unavailable,
                     u"the Qt SQL driver %1 is not installed (Debian: %2)"_s.arg(
                         driver, spec.dialect == Dialect::Sqlite ? u"libqt6sql6-sqlite"_s
                                                                 : u"libqt6sql6-psql"_s)};
    }
    QString failure;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(driver, name);
        if (spec.dialect == Dialect::Sqlite) {
            const QFileInfo file(spec.path);
            if (!QDir().mkpath(file.absolutePath())) {
                failure = u"cannot create the directory %1"_s.arg(file.absolutePath());
            } else if (spec.path != u":memory:") {
                failure = createPrivateFile(spec.path);
            }
            db.setDatabaseName(spec.path);
            db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=10000"_s);
        } else {
            db.setHostName(spec.host);
            db.setPort(spec.port);
            db.setDatabaseName(spec.database);
            db.setUserName(spec.user);
            db.setPassword(spec.password);
            // ConnectionSpec::parse() only lets through values that cannot break this string.
            QMap<QString, QString> settings{{u"connect_timeout"_s, u"5"_s},
                                            {u"application_name"_s, u"trackwatch"_s}};
            settings.insert(spec.options);
            QStringList options;
            for (auto it = settings.cbegin(); it != settings.cend(); ++it) {
                options << it.key() + u'=' + it.value();
            }
            db.setConnectOptions(options.join(u';'));
        }
        if (failure.isEmpty() && !db.open()) {
            failure = db.lastError().text().trimmed();
            // libpq never echoes the password, but be certain (a password of a letter or two
            // would only mangle words of the message).
            if (spec.password.size() >= 4) {
                failure.replace(spec.password, u"***"_s);
            }
        }
        if (failure.isEmpty()) {
            auto database = std::unique_ptr<Database>(new Database(spec, db));
            if (const Status s = database->configureSession(); !s) {
                return s.error();
            }
            return database;
        }
    }
    QSqlDatabase::removeDatabase(name);
    return Error{ErrorCode::Unavailable,
                 u"cannot open database %1: %2"_s.arg(spec.redacted(), failure)};
}

Database::Database(ConnectionSpec spec, QSqlDatabase db)
    : m_spec(std::move(spec))
    , m_db(std::move(db)) {
    connectNotifications();
}

// Every driver this object gets (one per session) hands its notifications to m_listeners;
// the connection ends with the driver.
void Database::connectNotifications() {
    QSqlDriver* driver = m_db.driver();
    QObject::connect(driver, &QSqlDriver::notification, driver, [this](const QString& channel) {
        if (const auto it = m_listeners.constFind(channel); it != m_listeners.cend()) {
            (*it)(channel);
        }
    });
}

// What every session needs, at open and again after reopen().
Status Database::configureSession() {
    if (m_spec.dialect == Dialect::Sqlite) {
        Status s = enableWal(*this);
        for (const char* pragma :
             {"PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000"}) {
            if (s) {
                s = Status::from(exec(QString::fromLatin1(pragma)));
            }
        }
        if (!s) {
            return Error{ErrorCode::Unavailable,
                         u"cannot use SQLite file %1: %2"_s.arg(m_spec.path, s.error().message)};
        }
        return {};
    }
    // Literals are inlined with standard quoting (see literal()).
    if (auto r = exec(u"SET standard_conforming_strings = on"_s); !r) {
        return r.error();
    }
    (void)exec(u"SET client_min_messages = warning"_s);
    return {};
}

bool Database::connectionLost(const QSqlError& error) {
    if (!m_db.isOpen()) {
        return true;
    }
    if (m_spec.dialect == Dialect::Sqlite) {
        return false; // a file: statements fail, the connection does not go away
    }
    // The server said it ends the session (class 57P: shut down, terminated by an
    // administrator) or the connection failed (class 08); libpq may not have noticed yet.
    const QString state = error.nativeErrorCode();
    if (state.startsWith(u"08"_s) || state.startsWith(u"57P"_s)) {
        return true;
    }
    // QPSQL hands out its PGconn* this way (QSqlDriver::handle()'s documented use); the type
    // is named by libpq's struct, pg_conn*, in Qt 6.4.
    const QVariant handle = m_db.driver()->handle();
    const char* type = handle.typeName();
    if (!handle.isValid() || (qstrcmp(type, "pg_conn*") != 0 && qstrcmp(type, "PGconn*") != 0)) {
        return false; // cannot tell: the statement's failure, not the connection's
    }
    const PGconn* conn = *static_cast<PGconn* const*>(handle.constData());
    return conn == nullptr || PQstatus(conn) != CONNECTION_OK;
}

Error Database::lostError() const {
    return Error{ErrorCode::Unavailable, u"database connection lost: "_s + m_lostReason};
}

Status Database::reopen() {
    ++m_session;
    // A new connection rather than the old one opened again: Qt 6.4's QPSQL keeps state of
    // the old session across close() and open() (its notification socket), and then delivers
    // no notification. Statements prepared on the old one lose their driver with it.
    const QString old = m_db.connectionName();
    QSqlDatabase fresh = QSqlDatabase::cloneDatabase(m_db, nextConnectionName());
    m_db.close();
    m_db = fresh;
    QSqlDatabase::removeDatabase(old);
    if (!m_db.open()) {
        QString failure = errorText(m_db.lastError());
        if (m_spec.password.size() >= 4) {
            failure.replace(m_spec.password, u"***"_s);
        }
        m_lostReason = failure;
        return Error{ErrorCode::Unavailable,
                     u"cannot open database %1: %2"_s.arg(m_spec.redacted(), failure)};
    }
    m_lostReason.clear();
    connectNotifications();
    if (Status s = configureSession(); !s || !subscribeAll()) {
        m_db.close();
        m_lostReason = s ? u"cannot LISTEN: "_s + errorText(m_db.lastError()) : s.error().message;
        return lostError();
    }
    // The new session gets the old one's socket number, and Qt 6.4's QPSQL delivers nothing
    // there until the old session's socket watch is gone, on the next turn of the event loop.
    // Listening anew then (UNLISTEN, LISTEN) makes a watch that works.
    QSqlDriver* driver = m_db.driver();
    QMetaObject::invokeMethod(
        driver,
        [this, driver, session = m_session] {
            if (session != m_session || !connected()) {
                return; // another session by now: its own reopen() does this
            }
            for (auto it = m_listeners.cbegin(); it != m_listeners.cend(); ++it) {
                (void)driver->unsubscribeFromNotification(it.key());
            }
            if (!subscribeAll()) {
                logging::get("core.storage")
                    ->warn("cannot LISTEN again after reconnecting: {}",
                           errorText(m_db.lastError()));
            }
        },
        Qt::QueuedConnection);
    return {};
}

bool Database::listen(const QString& channel, NotificationHandler handler) {
    m_listeners.insert(channel, std::move(handler));
    if (m_db.driver()->subscribeToNotification(channel)) {
        return true;
    }
    m_listeners.remove(channel);
    return false;
}

bool Database::subscribeAll() {
    QSqlDriver* driver = m_db.driver();
    for (auto it = m_listeners.cbegin(); it != m_listeners.cend(); ++it) {
        if (!driver->subscribeToNotification(it.key())) {
            return false;
        }
    }
    return true;
}

Database::~Database() {
    setMetrics(nullptr);
    const QString name = m_db.connectionName();
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(name);
}

Result<QSqlQuery> Database::exec(const QString& sql, const QVariantList& values) {
    // Values are inlined as quoted literals rather than bound: QPSQL prepares every statement
    // on the server (PREPARE, EXECUTE, DEALLOCATE: three round trips) even when it runs once,
    // and QtSql's positional binding costs grow with the square of the number of values (a
    // 1,000-row insert). Quoting is what QPSQL's EXECUTE does with bound values anyway.
    QString statement = sql;
    if (!values.isEmpty()) {
        auto inlined = inlineValues(sql, values);
        if (!inlined) {
            return inlined.error();
        }
        statement = std::move(inlined).value();
    }
    if (!connected()) {
        return lostError();
    }
    QSqlQuery query(m_db);
    query.setForwardOnly(true);
    if (!m_metrics) {
        if (!query.exec(statement)) {
            return failed(query, sql);
        }
        return query;
    }
    const QString kind = m_operation.isEmpty() ? statementKind(sql) : m_operation;
    markBusy(1);
    const auto started = std::chrono::steady_clock::now();
    const bool ok = query.exec(statement);
    queryHistogram(kind).record(std::chrono::steady_clock::now() - started);
    markBusy(-1);
    if (!ok) {
        m_metrics
            ->counter(u"trackwatch_db_query_errors"_s, {{u"statement"_s, kind}},
                      u"Database statements that failed"_s)
            .increment();
        return failed(query, sql);
    }
    return query;
}

Error Database::failed(const QSqlQuery& query, const QString& sql) {
    Error error = sqlError(query, firstLine(sql));
    if (connectionLost(query.lastError())) {
        m_lostReason = errorText(query.lastError());
        error.code = ErrorCode::Unavailable;
    }
    return error;
}

void Database::setMetrics(std::shared_ptr<MetricsRegistry> metrics) {
    if (m_openGauge) {
        m_openGauge->add(-1);
        if (m_busy > 0) {
            m_inUseGauge->add(-1);
        }
    }
    m_histograms.clear();
    m_openGauge = nullptr;
    m_inUseGauge = nullptr;
    m_metrics = std::move(metrics);
    if (!m_metrics) {
        return;
    }
    const QString help = u"Database connections: open, and inside a statement or transaction"_s;
    m_openGauge =
        &m_metrics->gauge(u"trackwatch_db_connections"_s, {{u"state"_s, u"open"_s}}, help);
    m_inUseGauge =
        &m_metrics->gauge(u"trackwatch_db_connections"_s, {{u"state"_s, u"in_use"_s}}, help);
    m_openGauge->add(1);
    if (m_busy > 0) {
        m_inUseGauge->add(1);
    }
}

LatencyHistogram& Database::queryHistogram(const QString& statement) {
    auto it = m_histograms.constFind(statement);
    if (it != m_histograms.cend()) {
        return **it;
    }
    LatencyHistogram& h =
        m_metrics->histogram(u"trackwatch_db_query_duration_seconds"_s,
                             {{u"statement"_s, statement}}, u"Database statement time"_s);
    m_histograms.insert(statement, &h);
    return h;
}

void Database::markBusy(int delta) {
    const int before = m_busy;
    m_busy += delta;
    if (m_inUseGauge && (before == 0) != (m_busy == 0)) {
        m_inUseGauge->add(m_busy > 0 ? 1 : -1);
    }
}

Status Database::transaction(const std::function<Status()>& body) {
    // SQLite: BEGIN IMMEDIATE takes the write lock up front, so a second writer waits on the
    // busy timeout instead of failing when its read snapshot turns out to be stale.
    const bool sqlite = m_spec.dialect == Dialect::Sqlite;
    const auto begin = [&] {
        return sqlite ? exec(u"BEGIN IMMEDIATE"_s).ok() : m_db.transaction();
    };
    if (!connected()) {
        return lostError();
    }
    markBusy(1);
    const auto idle = qScopeGuard([this] { markBusy(-1); });
    if (!begin()) {
        if (!connected() || connectionLost(m_db.lastError())) {
            m_lostReason = m_lostReason.isEmpty() ? errorText(m_db.lastError()) : m_lostReason;
            return lostError();
        }
        return Status::failure(ErrorCode::DatabaseError,
                               u"cannot begin a transaction: "_s + errorText(m_db.lastError()));
    }
    Status result = body();
    if (result.ok()) {
        QString why;
        if (sqlite) {
            auto commit = exec(u"COMMIT"_s);
            why = commit ? QString() : commit.error().message;
        } else if (!m_db.commit()) {
            why = errorText(m_db.lastError());
        }
        if (why.isEmpty()) {
            return result;
        }
        result = Status::failure(ErrorCode::DatabaseError, u"commit failed: "_s + why);
        if (!connected() || connectionLost(m_db.lastError())) {
            m_lostReason = m_lostReason.isEmpty() ? errorText(m_db.lastError()) : m_lostReason;
            return lostError();
        }
    }
    if (sqlite) {
        (void)exec(u"ROLLBACK"_s);
    } else {
        m_db.rollback();
    }
    return result;
}

Result<QString> Database::literal(const QVariant& v) const {
    if (!v.isValid() || v.isNull()) {
        return u"NULL"_s;
    }
    switch (v.typeId()) {
    case QMetaType::QString:
    case QMetaType::QDateTime: {
        const QString text = v.typeId() == QMetaType::QDateTime
                                 ? v.toDateTime().toUTC().toString(u"yyyy-MM-ddTHH:mm:ss.zzz'Z'"_s)
                                 : v.toString();
        if (text.isNull()) {
            return u"NULL"_s;
        }
        // Standard-conforming strings (SQLite always; PostgreSQL as set at connect): the only
        // character to escape is the quote. Text that the database cannot hold as it is, is
        // refused rather than altered (altering it could merge two distinct values): NUL
        // (neither database stores it in text), and an unpaired UTF-16 surrogate (UTF-8 has
        // no form for it; the driver would turn it into '?').
        QString quoted;
        quoted.reserve(text.size() + 2);
        quoted += u'\'';
        for (qsizetype i = 0; i < text.size(); ++i) {
            const QChar c = text[i];
            if (c == u'\'') {
                quoted += u"''"_s;
                continue;
            }
            if (c.isNull()) {
                return Error{ErrorCode::InvalidArgument,
                             u"text with a NUL character (at %1) cannot be stored"_s.arg(i)};
            }
            if (c.isSurrogate()) {
                const bool paired =
                    c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate();
                if (!paired) {
                    return Error{ErrorCode::InvalidArgument,
                                 u"text with an unpaired UTF-16 surrogate (at %1) cannot be "
                                 u"stored"_s.arg(i)};
                }
                quoted += c;
                quoted += text[++i];
                continue;
            }
            quoted += c;
        }
        quoted += u'\'';
        return quoted;
    }
    case QMetaType::Double: {
        const double d = v.toDouble();
        if (!qIsFinite(d)) {
            return Error{ErrorCode::InvalidArgument,
                         u"the number %1 cannot be stored (not finite)"_s.arg(d)};
        }
        // 17 significant digits read back as the same double: always on PostgreSQL (strtod);
        // on SQLite (3.40 parses decimals its own way) except below about 1e-280, where it
        // may be one unit off. There the value goes as its 53-bit significand divided by
        // powers of two, which is exact: m * 2^e, each division by at most 2^62.
        if (m_spec.dialect == Dialect::Sqlite && d != 0 && std::abs(d) < 1e-250) {
            int exponent = 0;
            const double fraction = std::frexp(d, &exponent);
            const auto significand = static_cast<qint64>(std::ldexp(fraction, 53));
            QString exact = u"(CAST(%1 AS REAL)"_s.arg(significand);
            for (int e = exponent - 53; e < 0;) {
                const int step = std::min(62, -e);
                exact += u" / "_s + QString::number(qint64(1) << step);
                e += step;
            }
            return exact + u")"_s;
        }
        const QString number = QString::number(d, 'g', 17);
        // "5 -?" with -3 must not become "5 --3", a comment.
        return number.startsWith(u'-') ? u"("_s + number + u")"_s : number;
    }
    case QMetaType::ULongLong:
    case QMetaType::ULong:
        if (v.toULongLong() > quint64(Q_INT64_C(0x7fffffffffffffff))) {
            return Error{
                ErrorCode::InvalidArgument,
                u"the integer %1 is beyond the 64-bit signed range"_s.arg(v.toULongLong())};
        }
        return v.toString();
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::UShort: {
        const QString number = v.toString();
        return number.startsWith(u'-') ? u"("_s + number + u")"_s : number;
    }
    case QMetaType::Bool:
        return v.toBool() ? u"TRUE"_s : u"FALSE"_s;
    default:
        return Error{ErrorCode::InvalidArgument, u"cannot pass a value of type %1 to SQL"_s.arg(
                                                     QString::fromLatin1(v.metaType().name()))};
    }
}

// Placeholders are the '?' outside single-quoted literals; callers' SQL has no '?' in comments,
// identifiers or dollar quotes.
Result<QString> Database::inlineValues(const QString& sql, const QVariantList& values) const {
    qsizetype placeholders = 0;
    bool inString = false;
    for (const QChar c : sql) {
        if (c == u'\'') {
            inString = !inString;
        } else if (c == u'?' && !inString) {
            ++placeholders;
        }
    }
    if (placeholders != values.size()) {
        return Error{ErrorCode::InvalidArgument,
                     u"%1: %2 values for %3 placeholders"_s.arg(firstLine(sql))
                         .arg(values.size())
                         .arg(placeholders)};
    }
    QString out;
    out.reserve(sql.size() + values.size() * 16);
    qsizetype next = 0;
    inString = false;
    for (const QChar c : sql) {
        if (c == u'\'') {
            inString = !inString;
        }
        if (c != u'?' || inString) {
            out += c;
            continue;
        }
        auto value = literal(values[next++]);
        if (!value) {
            return Error{value.error().code, firstLine(sql) + u": "_s + value.error().message};
        }
        out += *value;
    }
    return out;
}

bool Database::ping() {
    auto r = exec(u"SELECT 1"_s);
    return r && r->next();
}

} // namespace trackwatch::core
