// SPDX-License-Identifier: MIT
#include "output.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>

namespace trackwatch::ctl {

using namespace Qt::StringLiterals;

QString escapeControl(const QString& text) {
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const auto category = c.category();
        if (category != QChar::Other_Control && category != QChar::Other_Format &&
            c != QChar::LineSeparator && c != QChar::ParagraphSeparator) {
            out += c;
        } else if (c == u'\n') {
            out += u"\\n"_s;
        } else if (c == u'\r') {
            out += u"\\r"_s;
        } else if (c == u'\t') {
            out += u"\\t"_s;
        } else if (c.unicode() < 0x100) {
            out += u"\\x%1"_s.arg(c.unicode(), 2, 16, QChar(u'0'));
        } else {
            out += u"\\u{%1}"_s.arg(c.unicode(), 4, 16, QChar(u'0'));
        }
    }
    return out;
}

int fail(int code, const QString& message) {
    std::fprintf(stderr, "trackwatchctl: %s\n", qPrintable(message));
    return code;
}

int failWith(const core::Error& error) {
    return fail(error.code == core::ErrorCode::InvalidArgument ? kUsage : kFailed, error.message);
}

void printJson(const QJsonValue& value) {
    const QByteArray text = value.isArray()
                                ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)
                                : QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented);
    std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
}

void printTable(const QStringList& header, const QList<QStringList>& rawRows) {
    QList<QStringList> rows;
    rows.reserve(rawRows.size());
    for (const QStringList& raw : rawRows) {
        QStringList row;
        for (const QString& cell : raw) {
            row << escapeControl(cell);
        }
        rows << row;
    }
    QList<qsizetype> widths;
    for (const QString& h : header) {
        widths << h.size();
    }
    for (const QStringList& row : rows) {
        for (qsizetype c = 0; c < row.size() && c < widths.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    auto line = [&](const QStringList& cells) {
        QString out;
        for (qsizetype c = 0; c < cells.size(); ++c) {
            out += c + 1 < cells.size() ? cells[c].leftJustified(widths[c] + 2) : cells[c];
        }
        std::printf("%s\n", qPrintable(out));
    };
    line(header);
    for (const QStringList& row : rows) {
        line(row);
    }
}

QString timeText(const QDateTime& t) {
    return t.isValid() ? t.toUTC().toString(u"yyyy-MM-dd HH:mm:ss'Z'"_s) : QString();
}

} // namespace trackwatch::ctl
