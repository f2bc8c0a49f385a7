// SPDX-License-Identifier: MIT
#include "storage/connection_spec.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// libpq parameters that may ride along; anything else is a typo we refuse.
const QStringList kPassThroughOptions = {u"sslmode"_s, u"connect_timeout"_s, u"application_name"_s,
                                         u"sslrootcert"_s, u"target_session_attrs"_s};

Result<ConnectionSpec> fail(const QString& why) {
    return Result<ConnectionSpec>::failure(ErrorCode::InvalidArgument,
                                           u"invalid connection string: "_s + why);
}

Status applyPort(ConnectionSpec& spec, const QString& text) {
    bool ok = false;
    const int port = text.toInt(&ok);
    if (!ok || port < 1 || port > 65535) {
        // Repeat the text only when it is digits: a mistyped URL can put the password here.
        static const QRegularExpression digits(u"^[0-9]{1,12}$"_s);
        const QString shown = digits.match(text).hasMatch() ? u" '%1'"_s.arg(text) : QString();
        return Status::failure(ErrorCode::InvalidArgument,
                               u"invalid connection string: the port%1 is not a number from 1 "
                               u"to 65535"_s.arg(shown));
    }
    spec.port = port;
    return {};
}

Status applyKey(ConnectionSpec& spec, const QString& key, const QString& value) {
    if (key == u"host" || key == u"hostaddr") {
        spec.host = value;
    } else if (key == u"port") {
        return applyPort(spec, value);
    } else if (key == u"dbname") {
        spec.database = value;
    } else if (key == u"user") {
        spec.user = value;
    } else if (key == u"password") {
        spec.password = value;
    } else if (kPassThroughOptions.contains(key)) {
        // These go into libpq's key=value string unquoted: nothing that could end a value.
        static const QRegularExpression safe(u"^[A-Za-z0-9_.,:/~+-]+$"_s);
        static const QStringList sslModes = {u"disable"_s, u"allow"_s,     u"prefer"_s,
                                             u"require"_s, u"verify-ca"_s, u"verify-full"_s};
        bool number = false;
        value.toUInt(&number);
        if (!safe.match(value).hasMatch() || (key == u"sslmode" && !sslModes.contains(value)) ||
            (key == u"connect_timeout" && !number)) {
            return Status::failure(ErrorCode::InvalidArgument,
                                   u"invalid connection string: bad value for '%1'"_s.arg(key));
        }
        spec.options.insert(key, value);
    } else {
        return Status::failure(ErrorCode::InvalidArgument,
                               u"invalid connection string: unknown parameter '%1'"_s.arg(key));
    }
    return {};
}

Result<ConnectionSpec> finishPostgres(ConnectionSpec spec) {
    if (spec.host.isEmpty()) {
        spec.host = u"localhost"_s;
    }
    if (spec.database.isEmpty()) {
        return fail(u"no database name (postgresql://user@host:port/DBNAME)"_s);
    }
    if (spec.user.isEmpty()) {
        return fail(u"no user name (postgresql://USER@host:port/dbname)"_s);
    }
    return spec;
}

Result<ConnectionSpec> parseUrl(const QString& text) {
    // A numeric port out of range gets its own message (QUrl only says "invalid").
    static const QRegularExpression portRe(
        u"^[A-Za-z]+://(?:[^/?#]*@)?[^/?#@]*:([0-9]+)(?:[/?#]|$)"_s);
    if (const QRegularExpressionMatch port = portRe.match(text); port.hasMatch()) {
        ConnectionSpec probe;
        if (const Status s = applyPort(probe, port.captured(1)); !s) {
            return s.error();
        }
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid()) {
        // QUrl's own message quotes the input, which may hold the password: say less.
        return fail(u"not a valid postgresql:// URL (the port must be a number; percent-encode "
                    u"'@', '/', ':', '?' and '#' in the user name and password)"_s);
    }
    ConnectionSpec spec;
    spec.dialect = Dialect::PostgreSql;
    spec.host = url.host();
    spec.user = url.userName(QUrl::FullyDecoded);
    spec.password = url.password(QUrl::FullyDecoded);
    if (url.port() != -1) {
        spec.port = url.port();
    }
    spec.database = url.path(QUrl::FullyDecoded).mid(1);
    if (spec.database.contains(u'/')) {
        return fail(u"the database name must not contain '/'"_s);
    }
    const QUrlQuery query(url);
    for (const auto& [key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (const Status s = applyKey(spec, key, value); !s) {
            return s.error();
        }
    }
    return finishPostgres(std::move(spec));
}

// host=localhost port=5432 dbname=x user=y password='it''s' -- libpq's keyword form, with
// single-quoted values in which \' and \\ are escapes.
Result<ConnectionSpec> parseKeywords(const QString& text) {
    ConnectionSpec spec;
    spec.dialect = Dialect::PostgreSql;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (true) {
        while (i < n && text[i].isSpace()) {
            ++i;
        }
        if (i >= n) {
            break;
        }
        const qsizetype keyStart = i;
        while (i < n && (text[i].isLetterOrNumber() || text[i] == u'_')) {
            ++i;
        }
        const QString key = text.mid(keyStart, i - keyStart);
        while (i < n && text[i].isSpace()) {
            ++i;
        }
        if (key.isEmpty() || i >= n || text[i] != u'=') {
            return fail(u"expected key=value at character %1"_s.arg(keyStart + 1));
        }
        ++i;
        while (i < n && text[i].isSpace()) {
            ++i;
        }
        QString value;
        if (i < n && text[i] == u'\'') {
            ++i;
            bool closed = false;
            while (i < n) {
                if (text[i] == u'\\' && i + 1 < n) {
                    value += text[i + 1];
                    i += 2;
                } else if (text[i] == u'\'') {
                    closed = true;
                    ++i;
                    break;
                } else {
                    value += text[i++];
                }
            }
            if (!closed) {
                return fail(u"unterminated quoted value for '%1'"_s.arg(key));
            }
        } else {
            while (i < n && !text[i].isSpace()) {
                value += text[i++];
            }
        }
        if (const Status s = applyKey(spec, key, value); !s) {
            return s.error();
        }
    }
    return finishPostgres(std::move(spec));
}

} // namespace

Result<ConnectionSpec> ConnectionSpec::parse(const QString& input) {
    const QString text = input.trimmed();
    if (text.isEmpty()) {
        return fail(u"it is empty"_s);
    }
    if (text.startsWith(u"postgresql://"_s, Qt::CaseInsensitive) ||
        text.startsWith(u"postgres://"_s, Qt::CaseInsensitive)) {
        return parseUrl(text);
    }
    // A mistyped URL must not become a SQLite file named after it (with the password in the
    // name): "postgresql:/u:pw@h/db", "postgresql//u:pw@h/db", "postgres:x", "postgres".
    static const QRegularExpression postgresRe(u"^postgres(?:ql)?(?:[:/\\\\@]|$)"_s,
                                               QRegularExpression::CaseInsensitiveOption);
    if (postgresRe.match(text).hasMatch()) {
        return fail(u"it starts like a PostgreSQL URL but not with postgresql:// (write "
                    u"postgresql://user:password@host:port/dbname, or ./NAME for a SQLite file)"_s);
    }
    static const QRegularExpression keywordRe(u"^[A-Za-z_]+\\s*="_s);
    if (keywordRe.match(text).hasMatch()) {
        return parseKeywords(text);
    }
    // Any other "scheme:" (two letters or more, so a drive letter is not one): only sqlite: and
    // file:// are ours. Only the scheme's name is repeated: what follows may be a password.
    static const QRegularExpression schemeRe(u"^([A-Za-z][A-Za-z0-9+.-]+):"_s);
    if (const auto m = schemeRe.match(text); m.hasMatch()) {
        const QString scheme = m.captured(1);
        const bool ours = scheme.compare(u"sqlite"_s, Qt::CaseInsensitive) == 0 ||
                          (scheme.compare(u"file"_s, Qt::CaseInsensitive) == 0 &&
                           text.mid(scheme.size()).startsWith(u"://"_s));
        if (!ours) {
            return fail(u"unknown scheme '%1:' (use postgresql://..., host=... dbname=..., or a "
                        u"SQLite file path; write ./NAME for a file whose name has a ':')"_s.arg(
                            scheme.left(32)));
        }
    }
    QString path = text;
    for (const QString& prefix : {u"sqlite://"_s, u"file://"_s, u"sqlite:"_s}) {
        if (path.startsWith(prefix, Qt::CaseInsensitive)) {
            path = path.mid(prefix.size());
            break;
        }
    }
    if (path.isEmpty()) {
        return fail(u"no SQLite file path after the prefix"_s);
    }
    if (path == u":memory:") {
        return fail(u"':memory:' is not supported: every engine thread needs the same database"_s);
    }
    if (QFileInfo(path).isDir()) {
        // The path is repeated only when it cannot be a mistyped URL with a password in it.
        const bool quotable = !path.contains(u'@') && !path.contains(u':');
        return fail(quotable ? u"'%1' is a directory, not a SQLite file"_s.arg(path)
                             : u"the path is a directory, not a SQLite file"_s);
    }
    ConnectionSpec spec;
    spec.dialect = Dialect::Sqlite;
    spec.path = QFileInfo(path).absoluteFilePath();
    return spec;
}

QString ConnectionSpec::chooseDsn(const QString& given) {
    if (!given.isEmpty()) {
        return given;
    }
    const QString env = qEnvironmentVariable("TRACKWATCH_DB");
    return env.isEmpty() ? defaultSqlitePath() : env;
}

QString ConnectionSpec::defaultSqlitePath() {
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty()) {
        dir = QDir::home().filePath(u".local/share/trackwatch"_s);
    }
    return QDir(dir).filePath(u"trackwatch.db"_s);
}

QString ConnectionSpec::redacted() const {
    if (dialect == Dialect::Sqlite) {
        return path;
    }
    // One arg() call: a later one would replace a "%N" inside the user or host too.
    return u"postgresql://%1@%2:%3/%4"_s.arg(user, host, QString::number(port), database);
}

} // namespace trackwatch::core
