// SPDX-License-Identifier: MIT
#pragma once
// trackwatchctl's upkeep commands. Each opens the database itself and returns the exit code.

#include "storage/connection_spec.h"
#include "storage/retention.h"

#include <QStringList>

namespace trackwatch::ctl {

// migrate: applies what is missing (the only command besides the changes that migrates).
int migrateCommand(const core::ConnectionSpec& spec, bool json);
// retention show (reads only: policy and rows due) | retention run (purges all that is due).
int retentionCommand(const core::ConnectionSpec& spec, const QStringList& args,
                     const core::RetentionPolicy& policy, bool json);
// backup FILE: SQLite's online copy (VACUUM INTO), never over an existing file; on PostgreSQL
// prints the pg_dump command and exits 2.
int backupCommand(const core::ConnectionSpec& spec, const QStringList& args, bool json);

} // namespace trackwatch::ctl
