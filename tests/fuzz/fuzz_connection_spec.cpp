// SPDX-License-Identifier: MIT
// libFuzzer harness: a connection string (--db, TRACKWATCH_DB) for ConnectionSpec::parse, and
// what the header promises of the result: redacted() names the user, host and database and
// never the password.

#include "fuzz_input.h"
#include "storage/connection_spec.h"

#include <QString>

using trackwatch::core::ConnectionSpec;
using trackwatch::core::Dialect;

namespace {

bool alphanumeric(const QString& s) {
    for (const QChar c : s) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128)) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QString text = QString::fromUtf8(trackwatch::fuzz::bytes(data, size));
    const auto spec = ConnectionSpec::parse(text);
    if (!spec) {
        TRACKWATCH_FUZZ_ASSERT(!spec.error().message.isEmpty());
        return 0;
    }
    const QString redacted = spec->redacted();
    if (spec->dialect == Dialect::Sqlite) {
        TRACKWATCH_FUZZ_ASSERT(!spec->path.isEmpty());
        TRACKWATCH_FUZZ_ASSERT(redacted == spec->path);
        return 0;
    }
    TRACKWATCH_FUZZ_ASSERT(spec->port > 0 && spec->port < 65536);
    TRACKWATCH_FUZZ_ASSERT(!spec->user.isEmpty() && !spec->database.isEmpty());
    TRACKWATCH_FUZZ_ASSERT(redacted.contains(spec->user));
    TRACKWATCH_FUZZ_ASSERT(redacted.contains(spec->host));
    TRACKWATCH_FUZZ_ASSERT(redacted.contains(spec->database));
    // An alphanumeric password can only show up inside one field of the redacted form (its
    // separators are not alphanumeric): if no other field holds it, redacted() leaked it.
    const QString& password = spec->password;
    if (password.size() >= 4 && alphanumeric(password) && !spec->user.contains(password) &&
        !spec->host.contains(password) && !spec->database.contains(password) &&
        !QStringLiteral("postgresql").contains(password) &&
        !QString::number(spec->port).contains(password)) {
        TRACKWATCH_FUZZ_ASSERT(!redacted.contains(password));
    }
    return 0;
}
