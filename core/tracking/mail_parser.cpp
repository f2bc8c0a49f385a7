// SPDX-License-Identifier: MIT
#include "tracking/mail_parser.h"

#include <QCryptographicHash>
#include <QDate>
#include <QHash>
#include <QList>
#include <QSet>
#include <QStringConverter>
#include <QStringDecoder>
#include <QTime>

#include <array>
#include <initializer_list>
#include <optional>
#include <utility>

namespace trackwatch::core {
namespace {

using namespace Qt::StringLiterals;

// Limits that keep hostile input from costing more than linear time or deep recursion.
constexpr int kMaxMimeDepth = 16;
constexpr int kMaxMimeParts = 1000;
constexpr qsizetype kMaxCharsetLength = 64;

// Outlook's Thread-Index: a 6-byte FILETIME and a 16-byte GUID shared by the whole thread,
// then 5 bytes per reply. The first 22 bytes identify the conversation.
constexpr qsizetype kThreadIndexBytes = 22;

// ---------------------------------------------------------------------------------------------
// Bytes and lines

bool isWsp(char c) {
    return c == ' ' || c == '\t';
}

bool isSpaceByte(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool isBlank(QByteArrayView v) {
    for (const char c : v) {
        if (!isSpaceByte(c)) {
            return false;
        }
    }
    return true;
}

QByteArray removeWhitespace(QByteArrayView v) {
    QByteArray out;
    out.reserve(v.size());
    for (const char c : v) {
        if (!isSpaceByte(c)) {
            out += c;
        }
    }
    return out;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Walks a buffer line by line; lines end at LF, a CR before the LF is dropped, so CRLF, LF and
// mixed files read the same. The last line may lack a terminator.
class LineCursor {
public:
    explicit LineCursor(QByteArrayView data)
        : m_data(data) {}

    bool atEnd() const { return m_pos >= m_data.size(); }
    qsizetype pos() const { return m_pos; }

    QByteArrayView next() {
        const qsizetype start = m_pos;
        const qsizetype newline = m_data.indexOf('\n', start);
        qsizetype end = newline < 0 ? m_data.size() : newline;
        m_pos = newline < 0 ? m_data.size() : newline + 1;
        if (end > start && m_data[end - 1] == '\r') {
            --end;
        }
        return m_data.sliced(start, end - start);
    }

private:
    QByteArrayView m_data;
    qsizetype m_pos = 0;
};

// ---------------------------------------------------------------------------------------------
// Header fields

struct HeaderField {
    QByteArray name; // lower-cased
    QByteArray value;
};

class Headers {
public:
    bool isEmpty() const { return m_fields.isEmpty(); }

    void add(QByteArrayView name, QByteArrayView value) {
        m_fields.append({name.toByteArray().toLower(), value.toByteArray()});
    }
    // RFC 5322 unfolding: the line break goes, the leading white space stays.
    void appendToLast(QByteArrayView continuation) { m_fields.last().value += continuation; }
    void finish() {
        for (HeaderField& f : m_fields) {
            f.value = f.value.trimmed();
        }
    }

    // The first field of that name (lower-case), or a null array.
    QByteArray value(QByteArrayView name) const {
        for (const HeaderField& f : m_fields) {
            if (f.name == name) {
                return f.value;
            }
        }
        return {};
    }
    bool contains(QByteArrayView name) const {
        for (const HeaderField& f : m_fields) {
            if (f.name == name) {
                return true;
            }
        }
        return false;
    }
    QList<QByteArray> values(QByteArrayView name) const {
        QList<QByteArray> out;
        for (const HeaderField& f : m_fields) {
            if (f.name == name) {
                out.append(f.value);
            }
        }
        return out;
    }

private:
    QList<HeaderField> m_fields;
};

// Position of the ':' of a header field line, or -1 when the line is not a field. The name is
// printable ASCII without ':'; white space before the colon (obsolete syntax) is tolerated.
qsizetype fieldColon(QByteArrayView line, qsizetype* nameEnd) {
    qsizetype i = 0;
    while (i < line.size()) {
        const auto c = static_cast<uchar>(line[i]);
        if (c == ':' || c <= 32 || c >= 127) {
            break;
        }
        ++i;
    }
    if (i == 0) {
        return -1;
    }
    *nameEnd = i;
    while (i < line.size() && isWsp(line[i])) {
        ++i;
    }
    return i < line.size() && line[i] == ':' ? i : -1;
}

// Parses the header section at the start of data. bodyOffset receives where the body starts:
// after the first empty line, at the first line that is neither a field nor a continuation
// (a message missing its separator line), or at the end.
Headers parseHeaderBlock(QByteArrayView data, qsizetype* bodyOffset) {
    Headers headers;
    LineCursor cursor(data);
    *bodyOffset = data.size();
    while (!cursor.atEnd()) {
        const qsizetype lineStart = cursor.pos();
        const QByteArrayView line = cursor.next();
        if (line.isEmpty()) {
            *bodyOffset = cursor.pos();
            break;
        }
        if (isWsp(line[0]) && !headers.isEmpty()) {
            headers.appendToLast(line);
            continue;
        }
        qsizetype nameEnd = 0;
        const qsizetype colon = fieldColon(line, &nameEnd);
        if (colon < 0) {
            *bodyOffset = lineStart;
            break;
        }
        headers.add(line.first(nameEnd), line.sliced(colon + 1));
    }
    headers.finish();
    return headers;
}

// Groups of fields separated by empty lines, as in a message/delivery-status body (one group
// for the message, one per recipient). Lines that are not fields are ignored.
QList<Headers> parseFieldGroups(QByteArrayView data) {
    QList<Headers> groups;
    Headers current;
    LineCursor cursor(data);
    const auto close = [&] {
        if (!current.isEmpty()) {
            current.finish();
            groups.append(std::exchange(current, Headers()));
        }
    };
    while (!cursor.atEnd()) {
        const QByteArrayView line = cursor.next();
        if (isBlank(line)) {
            close();
            continue;
        }
        if (isWsp(line[0])) {
            if (!current.isEmpty()) {
                current.appendToLast(line);
            }
            continue;
        }
        qsizetype nameEnd = 0;
        const qsizetype colon = fieldColon(line, &nameEnd);
        if (colon >= 0) {
            current.add(line.first(nameEnd), line.sliced(colon + 1));
        }
    }
    close();
    return groups;
}

// ---------------------------------------------------------------------------------------------
// Character sets

enum class CharsetKind { Unknown, Qt, Windows1252, Latin9 };

struct Charset {
    CharsetKind kind = CharsetKind::Unknown;
    QStringConverter::Encoding encoding = QStringConverter::Utf8;
};

// Code points of windows-1252 bytes 0x80..0x9F; the five unassigned bytes map to themselves.
constexpr std::array<char16_t, 32> kWindows1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// Qt 6.4's QStringDecoder knows only the UTF encodings and Latin-1; the common single-byte
// mail charsets beyond those are mapped here.
Charset lookupCharset(QByteArrayView rawName) {
    const QByteArray name = rawName.toByteArray().trimmed().toLower();
    if (name.isEmpty()) {
        return {};
    }
    if (name == "us-ascii" || name == "ascii" || name == "ansi_x3.4-1968" || name == "iso646-us" ||
        name == "latin-1" || name == "l1" || name == "iso_8859-1" || name == "cp819" ||
        name == "iso-ir-100") {
        return {CharsetKind::Qt, QStringConverter::Latin1};
    }
    if (name == "windows-1252" || name == "cp1252" || name == "x-cp1252" || name == "cp-1252") {
        return {CharsetKind::Windows1252, QStringConverter::Latin1};
    }
    if (name == "iso-8859-15" || name == "iso8859-15" || name == "iso_8859-15" ||
        name == "latin9" || name == "latin-9") {
        return {CharsetKind::Latin9, QStringConverter::Latin1};
    }
    const std::optional<QStringConverter::Encoding> encoding =
        QStringConverter::encodingForName(name.constData());
    // "Locale"/"System" would decode differently on every machine: not a mail charset.
    if (!encoding || *encoding == QStringConverter::System) {
        return {};
    }
    return {CharsetKind::Qt, *encoding};
}

QString decodeSingleByte(QByteArrayView bytes, CharsetKind kind) {
    QString out;
    out.reserve(bytes.size());
    for (const char c : bytes) {
        const auto b = static_cast<uchar>(c);
        char16_t u = b;
        if (kind == CharsetKind::Windows1252 && b >= 0x80 && b <= 0x9F) {
            u = kWindows1252High[b - 0x80];
        } else if (kind == CharsetKind::Latin9) {
            switch (b) {
            case 0xA4:
                u = 0x20AC;
                break;
            case 0xA6:
                u = 0x0160;
                break;
            case 0xA8:
                u = 0x0161;
                break;
            case 0xB4:
                u = 0x017D;
                break;
            case 0xB8:
                u = 0x017E;
                break;
            case 0xBC:
                u = 0x0152;
                break;
            case 0xBD:
                u = 0x0153;
                break;
            case 0xBE:
                u = 0x0178;
                break;
            default:
                break;
            }
        }
        out += QChar(u);
    }
    return out;
}

QString decodeCharset(const Charset& charset, QByteArrayView bytes) {
    switch (charset.kind) {
    case CharsetKind::Windows1252:
    case CharsetKind::Latin9:
        return decodeSingleByte(bytes, charset.kind);
    case CharsetKind::Qt: {
        QStringDecoder decoder(charset.encoding, QStringDecoder::Flag::Stateless);
        return decoder.decode(bytes);
    }
    case CharsetKind::Unknown:
        break;
    }
    return QString::fromLatin1(bytes);
}

// Header text outside encoded words: ASCII, raw UTF-8 (RFC 6532) or, failing that, the
// windows-1252 that legacy clients write.
QString decodeRaw(QByteArrayView bytes) {
    bool ascii = true;
    for (const char c : bytes) {
        if (static_cast<uchar>(c) >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) {
        return QString::fromLatin1(bytes);
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8.decode(bytes);
    if (!utf8.hasError()) {
        return text;
    }
    return decodeSingleByte(bytes, CharsetKind::Windows1252);
}

// ---------------------------------------------------------------------------------------------
// Transfer encodings

QByteArray decodeQuotedPrintable(QByteArrayView in, bool underscoreIsSpace) {
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '_' && underscoreIsSpace) {
            out += ' ';
        } else if (c == '=') {
            if (i + 2 < in.size() && hexValue(in[i + 1]) >= 0 && hexValue(in[i + 2]) >= 0) {
                out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
                i += 2;
            } else if (i + 1 < in.size() && in[i + 1] == '\n') {
                i += 1; // soft line break
            } else if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
                i += 2;
            } else {
                out += c; // malformed: keep it
            }
        } else {
            out += c;
        }
    }
    return out;
}

QByteArray decodeTransfer(QByteArrayView content, QByteArrayView encoding) {
    const QByteArray e = encoding.toByteArray().trimmed().toLower();
    if (e == "base64") {
        return QByteArray::fromBase64(removeWhitespace(content));
    }
    if (e == "quoted-printable") {
        return decodeQuotedPrintable(content, false);
    }
    return content.toByteArray();
}

// ---------------------------------------------------------------------------------------------
// RFC 2047 encoded words

struct EncodedWord {
    qsizetype end = 0; // one past "?="
    QByteArray charsetName;
    QByteArray bytes;
};

// Parses "=?charset?B|Q?text?=" at start. The text may not contain '?', so a failed attempt
// never scans past the next "=?" and decoding stays linear.
std::optional<EncodedWord> parseEncodedWord(QByteArrayView v, qsizetype start) {
    qsizetype p = start + 2;
    const qsizetype charsetStart = p;
    while (p < v.size() && v[p] != '?' && !isSpaceByte(v[p]) &&
           p - charsetStart <= kMaxCharsetLength) {
        ++p;
    }
    if (p >= v.size() || v[p] != '?' || p == charsetStart) {
        return std::nullopt;
    }
    QByteArrayView charset = v.sliced(charsetStart, p - charsetStart);
    if (const qsizetype star = charset.indexOf('*'); star >= 0) {
        charset = charset.first(star); // RFC 2231 language suffix: "utf-8*de"
    }
    if (p + 2 >= v.size() || v[p + 2] != '?') {
        return std::nullopt;
    }
    const char encoding = v[p + 1];
    const bool base64 = encoding == 'B' || encoding == 'b';
    if (!base64 && encoding != 'Q' && encoding != 'q') {
        return std::nullopt;
    }
    const qsizetype textStart = p + 3;
    const qsizetype textEnd = v.indexOf('?', textStart);
    if (textEnd < 0 || textEnd + 1 >= v.size() || v[textEnd + 1] != '=') {
        return std::nullopt;
    }
    const QByteArrayView text = v.sliced(textStart, textEnd - textStart);
    EncodedWord word;
    word.end = textEnd + 2;
    word.charsetName = charset.toByteArray();
    word.bytes =
        base64 ? QByteArray::fromBase64(removeWhitespace(text)) : decodeQuotedPrintable(text, true);
    return word;
}

// ---------------------------------------------------------------------------------------------
// Addresses

struct Mailbox {
    QString address; // lower-cased; empty when unusable
    QString name;
};

QString cleanAddress(QByteArrayView raw) {
    QString address = QString::fromUtf8(removeWhitespace(raw)).toLower();
    if (address.startsWith(u'@')) {
        // Obsolete source route: "<@relay.example:user@host.example>".
        const qsizetype colon = address.indexOf(u':');
        address = colon >= 0 ? address.mid(colon + 1) : QString();
    }
    const qsizetype at = address.lastIndexOf(u'@');
    if (at <= 0 || at == address.size() - 1) {
        return {};
    }
    return address;
}

Mailbox makeMailbox(const QByteArray& phrase, const QByteArray& angle, const QByteArray& comment,
                    bool sawAngle) {
    Mailbox m;
    QByteArray name;
    if (sawAngle) {
        m.address = cleanAddress(angle);
        name = phrase;
    } else {
        // A bare addr-spec; tolerate a sloppy "Name a@b" by taking the last word with an '@'.
        const QList<QByteArray> words = phrase.simplified().split(' ');
        qsizetype addressWord = -1;
        for (qsizetype i = words.size() - 1; i >= 0; --i) {
            if (words[i].contains('@')) {
                addressWord = i;
                break;
            }
        }
        if (addressWord >= 0) {
            m.address = cleanAddress(words[addressWord]);
            QList<QByteArray> rest = words;
            rest.removeAt(addressWord);
            name = rest.join(' ');
        }
    }
    if (isBlank(name)) {
        name = comment; // old style: "user@example.com (Full Name)"
    }
    m.name = MailParser::decodeEncodedWords(name).simplified();
    return m;
}

// An RFC 5322 address-list: mailboxes separated by commas, display names quoted or not,
// comments, angle addresses and groups ("Team: a@b, c@d;", "undisclosed-recipients:;").
QList<Mailbox> parseAddressList(QByteArrayView v) {
    QList<Mailbox> out;
    QByteArray phrase;
    QByteArray angle;
    QByteArray comment;
    bool sawAngle = false;
    bool inAngle = false;
    const auto finish = [&] {
        Mailbox m = makeMailbox(phrase, angle, comment, sawAngle);
        if (!m.address.isEmpty()) {
            out.append(std::move(m));
        }
        phrase.clear();
        angle.clear();
        comment.clear();
        sawAngle = false;
        inAngle = false;
    };
    const qsizetype n = v.size();
    qsizetype i = 0;
    while (i < n) {
        const char c = v[i];
        if (c == '"') {
            QByteArray& target = inAngle ? angle : phrase;
            ++i;
            while (i < n && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < n) {
                    ++i;
                }
                target += v[i];
                ++i;
            }
            ++i; // the closing quote
        } else if (c == '(') {
            QByteArray text;
            int depth = 1;
            ++i;
            while (i < n) {
                const char d = v[i];
                if (d == '\\' && i + 1 < n) {
                    text += v[i + 1];
                    i += 2;
                    continue;
                }
                ++i;
                if (d == '(') {
                    ++depth;
                } else if (d == ')' && --depth == 0) {
                    break;
                }
                text += d;
            }
            if (comment.isEmpty()) {
                comment = text;
            }
            if (!inAngle) {
                phrase += ' ';
            }
        } else if (inAngle) {
            if (c == '>') {
                inAngle = false;
            } else {
                angle += c;
            }
            ++i;
        } else if (c == '<') {
            inAngle = true;
            sawAngle = true;
            angle.clear();
            ++i;
        } else if (c == ',' || c == ';') {
            finish();
            ++i;
        } else if (c == ':') {
            // Group start: the group's display name is not an address.
            phrase.clear();
            comment.clear();
            ++i;
        } else {
            phrase += c;
            ++i;
        }
    }
    finish();
    return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

std::optional<int> monthFromName(QStringView token) {
    static constexpr std::array<char16_t[4], 12> kMonths = {
        u"jan", u"feb", u"mar", u"apr", u"may", u"jun",
        u"jul", u"aug", u"sep", u"oct", u"nov", u"dec",
    };
    if (token.size() < 3 || !token[0].isLetter()) {
        return std::nullopt;
    }
    const QStringView head = token.first(3);
    for (qsizetype i = 0; i < qsizetype(kMonths.size()); ++i) {
        if (head.compare(QStringView(kMonths[i]), Qt::CaseInsensitive) == 0) {
            return int(i) + 1;
        }
    }
    return std::nullopt;
}

bool allDigits(QStringView s) {
    if (s.isEmpty()) {
        return false;
    }
    for (const QChar c : s) {
        if (c < u'0' || c > u'9') {
            return false;
        }
    }
    return true;
}

// Seconds east of UTC for a zone token; unknown names count as UTC (RFC 5322 4.3: treat as
// "-0000"), malformed numeric zones make the date unusable.
std::optional<int> zoneOffset(QStringView zone) {
    if (zone.isEmpty()) {
        return 0;
    }
    if (zone[0] == u'+' || zone[0] == u'-') {
        const int sign = zone[0] == u'-' ? -1 : 1;
        QString digits = zone.sliced(1).toString();
        digits.remove(u':');
        if (!allDigits(digits) || (digits.size() != 4 && digits.size() != 2)) {
            return std::nullopt;
        }
        const int hours = QStringView(digits).first(2).toInt();
        const int minutes = digits.size() == 4 ? QStringView(digits).sliced(2).toInt() : 0;
        if (hours > 23 || minutes > 59) {
            return std::nullopt;
        }
        return sign * (hours * 3600 + minutes * 60);
    }
    for (const QStringView prefix : {u"GMT", u"UTC", u"UT"}) {
        if (zone.size() > prefix.size() && zone.startsWith(prefix, Qt::CaseInsensitive) &&
            (zone[prefix.size()] == u'+' || zone[prefix.size()] == u'-')) {
            return zoneOffset(zone.sliced(prefix.size()));
        }
    }
    struct Named {
        QStringView name;
        int hours;
    };
    static constexpr std::array<Named, 20> kNamed = {{
        {u"UT", 0},   {u"UTC", 0},  {u"GMT", 0},  {u"Z", 0},    {u"WET", 0},
        {u"EST", -5}, {u"EDT", -4}, {u"CST", -6}, {u"CDT", -5}, {u"MST", -7},
        {u"MDT", -6}, {u"PST", -8}, {u"PDT", -7}, {u"CET", 1},  {u"CEST", 2},
        {u"MET", 1},  {u"MEST", 2}, {u"EET", 2},  {u"EEST", 3}, {u"JST", 9},
    }};
    for (const Named& n : kNamed) {
        if (zone.compare(n.name, Qt::CaseInsensitive) == 0) {
            return n.hours * 3600;
        }
    }
    return 0;
}

std::optional<QTime> parseTimeOfDay(QStringView token) {
    const QList<QStringView> parts = token.split(u':');
    if (parts.size() < 2 || parts.size() > 3) {
        return std::nullopt;
    }
    for (const QStringView p : parts) {
        if (!allDigits(p) || p.size() > 2) {
            return std::nullopt;
        }
    }
    const int h = parts[0].toInt();
    const int m = parts[1].toInt();
    int s = parts.size() == 3 ? parts[2].toInt() : 0;
    if (s == 60) {
        s = 59; // leap second
    }
    const QTime time(h, m, s);
    return time.isValid() ? std::optional<QTime>(time) : std::nullopt;
}

// RFC 5322 date-time, obsolete forms included, and the asctime form of mbox separators.
QDateTime parseDate(QStringView value) {
    QString clean;
    clean.reserve(value.size());
    int depth = 0;
    for (const QChar c : value) {
        if (c == u'(') {
            ++depth;
        } else if (c == u')' && depth > 0) {
            --depth;
        } else if (depth == 0) {
            clean += c == u',' ? u' ' : c;
        }
    }
    const QList<QStringView> tokens = QStringView(clean).split(u' ', Qt::SkipEmptyParts);
    QList<QStringView> t;
    for (const QStringView token : tokens) {
        for (const QStringView piece : token.split(u'\t', Qt::SkipEmptyParts)) {
            t.append(piece);
        }
    }
    qsizetype i = 0;
    if (!t.isEmpty() && t[0][0].isLetter() && !monthFromName(t[0])) {
        ++i; // day of week
    }
    QStringView dayToken;
    QStringView yearToken;
    QStringView timeToken;
    QStringView zoneToken;
    std::optional<int> month;
    if (i + 3 < t.size() && allDigits(t[i])) {
        dayToken = t[i];
        month = monthFromName(t[i + 1]);
        yearToken = t[i + 2];
        timeToken = t[i + 3];
        zoneToken = i + 4 < t.size() ? t[i + 4] : QStringView();
    } else if (i + 3 < t.size() && monthFromName(t[i])) {
        month = monthFromName(t[i]); // "Nov  2 09:00:00 2026"
        dayToken = t[i + 1];
        timeToken = t[i + 2];
        yearToken = t[i + 3];
        zoneToken = i + 4 < t.size() ? t[i + 4] : QStringView();
    }
    if (!month || !allDigits(dayToken) || dayToken.size() > 2 || !allDigits(yearToken) ||
        yearToken.size() > 4) {
        return {};
    }
    // A zone glued to the time: "09:00:00+0100".
    for (qsizetype k = 0; k < timeToken.size(); ++k) {
        if (timeToken[k] == u'+' || timeToken[k] == u'-') {
            if (zoneToken.isEmpty()) {
                zoneToken = timeToken.sliced(k);
            }
            timeToken = timeToken.first(k);
            break;
        }
    }
    int year = yearToken.toInt();
    if (yearToken.size() <= 2) {
        year += year < 50 ? 2000 : 1900;
    } else if (yearToken.size() == 3) {
        year += 1900;
    }
    const QDate date(year, *month, dayToken.toInt());
    const std::optional<QTime> time = parseTimeOfDay(timeToken);
    const std::optional<int> offset = zoneOffset(zoneToken);
    if (!date.isValid() || !time || !offset) {
        return {};
    }
    return QDateTime(date, *time, Qt::UTC).addSecs(-*offset);
}

// ---------------------------------------------------------------------------------------------
// MIME

struct ContentType {
    QByteArray mimeType;                  // lower-cased "type/subtype"
    QHash<QByteArray, QByteArray> params; // lower-cased names
};

QByteArray unquote(QByteArrayView v) {
    const QByteArrayView t = v.trimmed();
    if (t.size() < 1 || t[0] != '"') {
        return t.toByteArray();
    }
    QByteArray out;
    for (qsizetype i = 1; i < t.size(); ++i) {
        if (t[i] == '\\' && i + 1 < t.size()) {
            out += t[++i];
        } else if (t[i] == '"') {
            break;
        } else {
            out += t[i];
        }
    }
    return out;
}

ContentType parseContentType(QByteArrayView value) {
    ContentType ct;
    QList<QByteArray> pieces;
    QByteArray current;
    bool quoted = false;
    int comment = 0;
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (quoted) {
            current += c;
            if (c == '\\' && i + 1 < value.size()) {
                current += value[++i];
            } else if (c == '"') {
                quoted = false;
            }
        } else if (comment > 0) {
            comment += c == '(' ? 1 : c == ')' ? -1 : 0;
        } else if (c == '(') {
            comment = 1;
        } else if (c == '"') {
            quoted = true;
            current += c;
        } else if (c == ';') {
            pieces.append(std::exchange(current, QByteArray()));
        } else {
            current += c;
        }
    }
    pieces.append(current);
    ct.mimeType = pieces.first().trimmed().toLower();
    for (qsizetype k = 1; k < pieces.size(); ++k) {
        const QByteArray& piece = pieces[k];
        const qsizetype eq = piece.indexOf('=');
        if (eq <= 0) {
            continue;
        }
        QByteArray name = piece.left(eq).trimmed().toLower();
        QByteArray val = unquote(QByteArrayView(piece).sliced(eq + 1));
        if (const qsizetype star = name.indexOf('*'); star >= 0) {
            // RFC 2231 continuations and extended values: "boundary*0=...", "name*=utf-8''..".
            if (name.endsWith('*')) {
                const bool firstSegment = name.count('*') == 1 || name.endsWith("*0*");
                const qsizetype quote = val.indexOf('\'');
                const qsizetype lang = quote >= 0 ? val.indexOf('\'', quote + 1) : -1;
                if (firstSegment && lang >= 0) {
                    val = val.mid(lang + 1); // drop charset'language'
                }
                val = QByteArray::fromPercentEncoding(val);
            }
            name.truncate(star);
            ct.params[name] += val;
            continue;
        }
        if (!ct.params.contains(name)) {
            ct.params.insert(name, val);
        }
    }
    return ct;
}

// What the bounce classifier needs from a MIME tree.
struct MimeScan {
    bool deliveryReport = false;       // a multipart/report; report-type=delivery-status
    QList<QByteArray> deliveryStatus;  // decoded message/delivery-status bodies
    QList<QByteArray> originalHeaders; // decoded text/rfc822-headers and message/rfc822 bodies
    int parts = 0;
};

// Calls visit(partContent) for every body part of a multipart body. The delimiter line is
// "--boundary" (closing: "--boundary--") optionally followed by white space; the line break
// before it belongs to the delimiter. Preamble and epilogue are skipped; an unterminated last
// part runs to the end.
template <typename Visit>
void splitMultipart(QByteArrayView body, QByteArrayView boundary, Visit&& visit) {
    const QByteArray delimiter = "--" + boundary.toByteArray();
    LineCursor cursor(body);
    qsizetype partStart = -1;
    while (!cursor.atEnd()) {
        const qsizetype lineStart = cursor.pos();
        const QByteArrayView line = cursor.next();
        if (!line.startsWith(delimiter)) {
            continue;
        }
        QByteArrayView rest = line.sliced(delimiter.size());
        const bool closing = rest.startsWith("--");
        if (closing) {
            rest = rest.sliced(2);
        }
        if (!isBlank(rest)) {
            continue; // a longer boundary that merely starts with ours
        }
        if (partStart >= 0) {
            qsizetype end = lineStart;
            if (end > partStart && body[end - 1] == '\n') {
                --end;
            }
            if (end > partStart && body[end - 1] == '\r') {
                --end;
            }
            if (!visit(body.sliced(partStart, end - partStart))) {
                return;
            }
        }
        if (closing) {
            return;
        }
        partStart = cursor.pos();
    }
    if (partStart >= 0 && partStart < body.size()) {
        visit(body.sliced(partStart));
    }
}

void scanEntity(const Headers& headers, QByteArrayView content, int depth, MimeScan& scan) {
    if (depth > kMaxMimeDepth) {
        return;
    }
    const ContentType ct = parseContentType(headers.value("content-type"));
    const QByteArray encoding = headers.value("content-transfer-encoding");
    if (ct.mimeType.startsWith("multipart/")) {
        if (ct.mimeType == "multipart/report") {
            const QByteArray type = ct.params.value("report-type").toLower();
            if (type == "delivery-status" || type == "global-delivery-status") {
                scan.deliveryReport = true;
            }
        }
        const QByteArray boundary = ct.params.value("boundary");
        if (boundary.isEmpty()) {
            return;
        }
        splitMultipart(content, boundary, [&](QByteArrayView part) {
            if (++scan.parts > kMaxMimeParts) {
                return false;
            }
            qsizetype bodyOffset = 0;
            const Headers partHeaders = parseHeaderBlock(part, &bodyOffset);
            scanEntity(partHeaders, part.sliced(bodyOffset), depth + 1, scan);
            return true;
        });
    } else if (ct.mimeType == "message/delivery-status" ||
               ct.mimeType == "message/global-delivery-status") {
        scan.deliveryStatus.append(decodeTransfer(content, encoding));
    } else if (ct.mimeType == "text/rfc822-headers" || ct.mimeType == "message/rfc822" ||
               ct.mimeType == "message/global" || ct.mimeType == "message/global-headers") {
        scan.originalHeaders.append(decodeTransfer(content, encoding));
    }
}

// ---------------------------------------------------------------------------------------------
// Classification

QString firstWordLower(QByteArrayView value) {
    QByteArray v = value.toByteArray();
    const qsizetype cut = v.indexOf('(');
    if (cut >= 0) {
        v.truncate(cut);
    }
    const qsizetype semicolon = v.indexOf(';');
    if (semicolon >= 0) {
        v.truncate(semicolon);
    }
    return QString::fromLatin1(v.trimmed()).toLower();
}

// "rfc822; User@Example.COM" -> "user@example.com".
QString dsnRecipient(QByteArrayView value) {
    QByteArrayView v = value;
    if (const qsizetype semicolon = v.indexOf(';'); semicolon >= 0) {
        v = v.sliced(semicolon + 1);
    }
    QString address = QString::fromUtf8(removeWhitespace(v)).toLower();
    if (address.startsWith(u'<') && address.endsWith(u'>')) {
        address = address.mid(1, address.size() - 2);
    }
    return address;
}

bool startsWithAny(const QString& text, std::initializer_list<QStringView> phrases) {
    for (const QStringView phrase : phrases) {
        if (text.startsWith(phrase, Qt::CaseInsensitive)) {
            return true;
        }
    }
    return false;
}

bool isAutoReplySubject(const QString& subject) {
    return startsWithAny(subject.trimmed(), {u"Automatic reply:", u"Auto:", u"Autoreply",
                                             u"Auto-Reply", u"Out of Office", u"Out of the office",
                                             u"Abwesenheitsnotiz", u"Automatische Antwort",
                                             u"Réponse automatique", u"Respuesta automática"});
}

bool isBounceSubject(const QString& subject) {
    return startsWithAny(subject.trimmed(),
                         {u"Undeliverable", u"Undelivered Mail Returned to Sender",
                          u"Delivery Status Notification (Failure)", u"Mail delivery failed",
                          u"failure notice", u"Returned mail:", u"Unzustellbar", u"Non remis"});
}

bool isDaemonAddress(const QString& address) {
    return address.startsWith(u"mailer-daemon@"_s) || address.startsWith(u"postmaster@"_s);
}

bool isAutoReply(const Headers& headers, const QString& subject) {
    const QByteArray submitted = headers.value("auto-submitted");
    if (!submitted.isEmpty() && firstWordLower(submitted) != u"no"_s) {
        return true;
    }
    // Exact names only: X-Auto-Response-Suppress asks others not to auto-reply, it is no marker.
    for (const QByteArrayView name : {"x-autoreply", "x-autorespond", "x-auto-response"}) {
        if (headers.contains(name) && firstWordLower(headers.value(name)) != u"no"_s) {
            return true;
        }
    }
    if (firstWordLower(headers.value("precedence")) == u"auto_reply"_s) {
        return true;
    }
    return isAutoReplySubject(subject);
}

void appendUnique(QStringList& list, QSet<QString>& seen, const QString& value) {
    if (!value.isEmpty() && !seen.contains(value)) {
        seen.insert(value);
        list.append(value);
    }
}

// Sets kind, bouncedMessageId and bouncedRecipients when the message is a bounce.
bool classifyBounce(const Headers& headers, QByteArrayView body, MailMessage& m) {
    const ContentType ct = parseContentType(headers.value("content-type"));
    const bool fromDaemon = isDaemonAddress(m.sender);
    if (ct.mimeType != "multipart/report" && !fromDaemon) {
        return false; // skip the MIME walk for ordinary mail
    }
    MimeScan scan;
    scanEntity(headers, body, 0, scan);

    bool failed = false;
    QStringList recipients;
    QSet<QString> seen;
    if (scan.deliveryReport) {
        for (const QByteArray& status : std::as_const(scan.deliveryStatus)) {
            for (const Headers& group : parseFieldGroups(status)) {
                if (firstWordLower(group.value("action")) != u"failed"_s) {
                    continue;
                }
                failed = true;
                QByteArray recipient = group.value("final-recipient");
                if (recipient.isEmpty()) {
                    recipient = group.value("original-recipient");
                }
                appendUnique(recipients, seen, dsnRecipient(recipient));
            }
        }
    }
    // Without a delivery-status report (one that only says delayed/delivered/relayed is
    // trusted), a notice from the mail system itself with the original attached and a failure
    // subject.
    const bool bounce = failed || (!scan.deliveryReport && fromDaemon &&
                                   !scan.originalHeaders.isEmpty() && isBounceSubject(m.subject));
    if (!bounce) {
        return false;
    }
    m.kind = MessageKind::Bounce;
    if (recipients.isEmpty()) {
        for (const QByteArray& value : headers.values("x-failed-recipients")) {
            for (const Mailbox& mb : parseAddressList(value)) {
                appendUnique(recipients, seen, mb.address);
            }
        }
    }
    m.bouncedRecipients = recipients;
    for (const QByteArray& original : std::as_const(scan.originalHeaders)) {
        qsizetype unused = 0;
        const Headers originalHeaders = parseHeaderBlock(original, &unused);
        const QStringList ids =
            MailParser::parseIdList(QString::fromUtf8(originalHeaders.value("message-id")));
        if (!ids.isEmpty()) {
            m.bouncedMessageId = ids.first();
            break;
        }
    }
    if (m.bouncedMessageId.isEmpty()) {
        if (!m.inReplyTo.isEmpty()) {
            m.bouncedMessageId = m.inReplyTo.last();
        } else if (!m.references.isEmpty()) {
            m.bouncedMessageId = m.references.last();
        }
    }
    return true;
}

QString conversationIdOf(const Headers& headers) {
    const QByteArray threadIndex = removeWhitespace(headers.value("thread-index"));
    if (!threadIndex.isEmpty()) {
        const auto decoded =
            QByteArray::fromBase64Encoding(threadIndex, QByteArray::AbortOnBase64DecodingErrors);
        if (decoded && decoded.decoded.size() >= kThreadIndexBytes) {
            return QString::fromLatin1(decoded.decoded.first(kThreadIndexBytes).toHex());
        }
    }
    for (const QByteArrayView name : {"x-conversation-id", "x-gm-thrid"}) {
        const QByteArray value = headers.value(name);
        if (!value.isEmpty()) {
            return decodeRaw(value);
        }
    }
    return {};
}

// Header text as storage can hold it: NUL removed (no database stores it in text) and an
// unpaired UTF-16 surrogate replaced by U+FFFD.
void cleanText(QString& text) {
    if (text.contains(QChar(0))) {
        text.remove(QChar(0));
    }
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (!text[i].isSurrogate()) {
            continue;
        }
        if (text[i].isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            ++i;
        } else {
            text[i] = QChar::ReplacementCharacter;
        }
    }
}

void cleanText(QStringList& list) {
    QStringList out;
    QSet<QString> seen;
    for (QString item : std::as_const(list)) {
        cleanText(item);
        appendUnique(out, seen, item); // cleaning may have made two equal
    }
    list = out;
}

// Every text field of a parsed message made storable; ids bounded as storageId() says.
void cleanMessage(MailMessage& m) {
    for (QString* text : {&m.subject, &m.sender, &m.senderName}) {
        cleanText(*text);
    }
    cleanText(m.recipients);
    cleanText(m.bouncedRecipients);
    cleanText(m.conversationId);
    m.conversationId = MailParser::storageId(m.conversationId);
}

} // namespace

// -------------------------------------------------------------------------------------------------

Result<MailMessage> MailParser::parse(QByteArrayView raw) {
    if (isBlank(raw)) {
        return Result<MailMessage>::failure(ErrorCode::ParseError, u"empty message"_s);
    }
    QByteArrayView data = raw;
    if (data.startsWith("From ")) {
        // An mbox envelope line left in front of the message (but not "From : a@b", an
        // obsolete-syntax header field).
        const qsizetype newline = data.indexOf('\n');
        const QByteArrayView first = newline < 0 ? data : data.first(newline);
        qsizetype nameEnd = 0;
        if (fieldColon(first, &nameEnd) < 0) {
            data = newline < 0 ? QByteArrayView() : data.sliced(newline + 1);
        }
    }
    qsizetype bodyOffset = 0;
    const Headers headers = parseHeaderBlock(data, &bodyOffset);
    if (headers.isEmpty()) {
        return Result<MailMessage>::failure(ErrorCode::ParseError,
                                            u"no header section (not a mail message)"_s);
    }

    MailMessage m;
    const QStringList ids = parseIdList(QString::fromUtf8(headers.value("message-id")));
    if (ids.isEmpty()) {
        return Result<MailMessage>::failure(ErrorCode::ParseError, u"missing Message-ID header"_s);
    }
    m.messageId = ids.first();

    const QList<Mailbox> from = parseAddressList(headers.value("from"));
    if (from.isEmpty()) {
        return Result<MailMessage>::failure(ErrorCode::ParseError, u"missing From address"_s);
    }
    m.sender = from.first().address;
    m.senderName = from.first().name;

    QSet<QString> seen;
    for (const QByteArrayView name : {"to", "cc"}) {
        for (const QByteArray& value : headers.values(name)) {
            for (const Mailbox& mb : parseAddressList(value)) {
                appendUnique(m.recipients, seen, mb.address);
            }
        }
    }

    m.subject = decodeEncodedWords(headers.value("subject")).trimmed();
    m.subject.replace(u'\t', u' ');
    m.inReplyTo = parseIdList(QString::fromUtf8(headers.value("in-reply-to")));
    m.references = parseIdList(QString::fromUtf8(headers.value("references")));
    m.sentAt = parseDate(QString::fromLatin1(headers.value("date")));
    m.conversationId = conversationIdOf(headers);

    if (!classifyBounce(headers, data.sliced(bodyOffset), m) && isAutoReply(headers, m.subject)) {
        m.kind = MessageKind::AutoReply;
    }
    cleanMessage(m);
    return m;
}

QString MailParser::normalizeMessageId(QStringView id) {
    QStringView s = id;
    if (const qsizetype open = s.lastIndexOf(u'<'); open >= 0) {
        s = s.sliced(open + 1);
    }
    if (const qsizetype close = s.indexOf(u'>'); close >= 0) {
        s = s.first(close);
    }
    QString out;
    out.reserve(s.size());
    for (const QChar c : s) {
        if (!c.isSpace() && !c.isNull()) { // NUL cannot be stored: it goes like space
            out += c;
        }
    }
    cleanText(out);
    if (const qsizetype at = out.lastIndexOf(u'@'); at >= 0) {
        out = out.first(at + 1) + out.sliced(at + 1).toLower();
    }
    return storageId(std::move(out));
}

QString MailParser::storageId(QString id) {
    if (id.size() <= kMaxIdLength) {
        return id;
    }
    qsizetype keep = kIdPrefixLength;
    if (id[keep - 1].isHighSurrogate()) {
        --keep; // never split a surrogate pair
    }
    const QByteArray digest =
        QCryptographicHash::hash(id.toUtf8(), QCryptographicHash::Sha256).toHex();
    return id.first(keep) + u"~sha256:"_s + QString::fromLatin1(digest);
}

QStringList MailParser::parseIdList(QStringView value) {
    QStringList out;
    QSet<QString> seen;
    if (value.contains(u'<')) {
        qsizetype from = 0;
        while (true) {
            const qsizetype open = value.indexOf(u'<', from);
            if (open < 0) {
                break;
            }
            const qsizetype close = value.indexOf(u'>', open + 1);
            const QStringView inner =
                close < 0 ? value.sliced(open + 1) : value.sliced(open + 1, close - open - 1);
            appendUnique(out, seen, normalizeMessageId(inner));
            if (close < 0) {
                break;
            }
            from = close + 1;
        }
        return out;
    }
    qsizetype start = -1;
    for (qsizetype i = 0; i <= value.size(); ++i) {
        const bool separator = i == value.size() || value[i].isSpace() || value[i] == u',';
        if (separator && start >= 0) {
            appendUnique(out, seen, normalizeMessageId(value.sliced(start, i - start)));
            start = -1;
        } else if (!separator && start < 0) {
            start = i;
        }
    }
    return out;
}

QString MailParser::normalizeSubject(QStringView subject) {
    static constexpr std::array<QStringView, 11> kPrefixes = {
        u"fwd", u"fw", u"re", u"aw", u"wg", u"sv", u"vs", u"antw", u"odp", u"tr", u"rif",
    };
    const auto skipSpace = [&](qsizetype p) {
        while (p < subject.size() && subject[p].isSpace()) {
            ++p;
        }
        return p;
    };
    // End of "Re:", "RE[2]:", "Fw (3) :", "AW：" at pos, or -1.
    const auto prefixEnd = [&](qsizetype pos, QStringView prefix) -> qsizetype {
        if (!subject.sliced(pos).startsWith(prefix, Qt::CaseInsensitive)) {
            return -1;
        }
        qsizetype p = pos + prefix.size();
        while (p < subject.size() && subject[p].isSpace()) {
            ++p;
        }
        if (p < subject.size() && (subject[p] == u'[' || subject[p] == u'(')) {
            const QChar close = subject[p] == u'[' ? u']' : u')';
            qsizetype q = p + 1;
            while (q < subject.size() && subject[q].isDigit()) {
                ++q;
            }
            if (q == p + 1 || q >= subject.size() || subject[q] != close) {
                return -1;
            }
            p = q + 1;
            while (p < subject.size() && subject[p].isSpace()) {
                ++p;
            }
        }
        if (p < subject.size() && (subject[p] == u':' || subject[p] == QChar(0xFF1A))) {
            return p + 1;
        }
        return -1;
    };

    qsizetype pos = skipSpace(0);
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (const QStringView prefix : kPrefixes) {
            const qsizetype end = prefixEnd(pos, prefix);
            if (end >= 0) {
                pos = skipSpace(end);
                stripped = true;
                break;
            }
        }
    }

    QString out;
    out.reserve(subject.size() - pos);
    bool pendingSpace = false;
    for (qsizetype i = pos; i < subject.size(); ++i) {
        const QChar c = subject[i];
        if (c.isSpace()) {
            pendingSpace = true;
            continue;
        }
        if (pendingSpace && !out.isEmpty()) {
            out += u' ';
        }
        pendingSpace = false;
        out += c;
    }
    return out;
}

QString MailParser::decodeEncodedWords(QByteArrayView value) {
    QString out;
    // Consecutive encoded words in one charset are decoded together: encoders may split a
    // multi-byte character across two words.
    QByteArray pendingBytes;
    Charset pendingCharset;
    const auto flush = [&] {
        if (!pendingBytes.isEmpty()) {
            out += decodeCharset(pendingCharset, pendingBytes);
            pendingBytes.clear();
        }
        pendingCharset = {};
    };

    bool lastWasEncoded = false;
    qsizetype literalStart = 0;
    qsizetype searchFrom = 0;
    while (true) {
        const qsizetype start = value.indexOf("=?", searchFrom);
        if (start < 0) {
            break;
        }
        const std::optional<EncodedWord> word = parseEncodedWord(value, start);
        if (!word) {
            searchFrom = start + 2;
            continue;
        }
        const Charset charset = lookupCharset(word->charsetName);
        if (charset.kind == CharsetKind::Unknown) {
            // Not decodable: the word stays as it was, as ordinary text.
            searchFrom = word->end;
            continue;
        }
        const QByteArrayView literal = value.sliced(literalStart, start - literalStart);
        if (!(lastWasEncoded && isBlank(literal))) {
            flush();
            out += decodeRaw(literal);
        }
        if (pendingCharset.kind != charset.kind || pendingCharset.encoding != charset.encoding) {
            flush();
        }
        pendingCharset = charset;
        pendingBytes += word->bytes;
        lastWasEncoded = true;
        literalStart = searchFrom = word->end;
    }
    flush();
    out += decodeRaw(value.sliced(literalStart));
    return out;
}

} // namespace trackwatch::core
