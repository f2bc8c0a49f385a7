// SPDX-License-Identifier: MIT
#pragma once
// What every trackwatchctl command shares: exit codes, errors, tables and JSON on stdout.

#include "common/result.h"

#include <QDateTime>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace trackwatch::ctl {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// Prints "trackwatchctl: MESSAGE" on stderr and returns code.
int fail(int code, const QString& message);
// InvalidArgument is a usage error (2), anything else a failure (1).
int failWith(const core::Error& error);
void printJson(const QJsonValue& value);
// Columns padded to their widest cell, header first. Control characters in cells (a newline or
// an escape sequence in an audit reason) are shown escaped, never sent to the terminal.
void printTable(const QStringList& header, const QList<QStringList>& rows);
// "\n", "\t", "\x1b", "\u{202e}" for control and format characters; the rest as it is.
QString escapeControl(const QString& text);
QString timeText(const QDateTime& t);

// The commands that live in files of their own.
int loadtestCommand(const QStringList& arguments);

} // namespace trackwatch::ctl
