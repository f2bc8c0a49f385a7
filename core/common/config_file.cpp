// SPDX-License-Identifier: MIT
#include "common/config_file.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>

namespace trackwatch::core {

using namespace Qt::StringLiterals;

Result<QJsonObject> readConfigFile(const QString& path) {
    if (path.isEmpty()) {
        return QJsonObject{};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Result<QJsonObject>::failure(ErrorCode::Unavailable,
                                            u"cannot read %1: %2"_s.arg(path, file.errorString()));
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return Result<QJsonObject>::failure(
            ErrorCode::ParseError,
            u"%1: %2 at offset %3"_s.arg(path, parseError.errorString(),
                                         QString::number(parseError.offset)));
    }
    if (!document.isObject()) {
        return Result<QJsonObject>::failure(ErrorCode::ParseError,
                                            u"%1: the top level is not a JSON object"_s.arg(path));
    }
    return document.object();
}

} // namespace trackwatch::core
