// SPDX-License-Identifier: MIT
#pragma once

#include "common/result.h"

#include <QJsonObject>
#include <QString>

namespace trackwatch::core {

// Trackwatch's configuration file: one JSON object whose sections belong to the parts that
// read them ("alerts": the alert rules' thresholds; "api": the HTTP API's bearer token and
// limits; "retention": how long each table's rows are kept, RetentionPolicy::fromSettings()). A missing file is an error when a path is given; an empty path gives an empty
// object (every part then uses its defaults). Errors name the file and, for malformed JSON,
// the offset.
Result<QJsonObject> readConfigFile(const QString& path);

} // namespace trackwatch::core
