// SPDX-License-Identifier: MIT
// libFuzzer harness: a configuration file (--config) through readConfigFile. The bytes are
// written to one file in a temporary folder, which is how the engine gets them. (The readers of
// its sections, AlertConfig::fromSettings and ApiServer::configure, sit in files that need the
// database layer, which the fuzz build does not compile: see CMakeLists.txt here.)

#include "common/config_file.h"
#include "fuzz_input.h"

#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace trackwatch::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static QTemporaryDir dir;
    static const QString path = dir.filePath(QStringLiteral("trackwatch.json"));
    TRACKWATCH_FUZZ_ASSERT(dir.isValid());
    {
        QFile file(path);
        TRACKWATCH_FUZZ_ASSERT(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        const QByteArrayView raw = trackwatch::fuzz::bytes(data, size);
        TRACKWATCH_FUZZ_ASSERT(file.write(raw.data(), raw.size()) == raw.size());
    }
    const auto settings = readConfigFile(path);
    if (!settings) {
        // Every refusal names the file.
        TRACKWATCH_FUZZ_ASSERT(settings.error().message.contains(path));
    }
    return 0;
}
