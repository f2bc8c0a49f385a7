// SPDX-License-Identifier: MIT
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "control/control_plane.h"
#include "engine/engine_registry.h"

#include <QList>

#include <optional>

namespace trackwatch::core {
class Database;
}

namespace trackwatch::ui {

// Everything the control page shows except the audit log, read in one job on the database
// worker's thread. A plain value: copied to the page's thread when the job is done.
struct ControlState {
    qint64 version = -1; // ControlPlane::version() when the state was read
    QList<core::FlagValue> flags;
    QList<core::RolloutValue> rollouts;
    QList<core::BreakerRecord> breakers;            // the shared state, one per operation
    QList<core::EngineBreakerState> engineBreakers; // each running engine's own view
    QList<core::EngineInstance> engines;            // every engine known to the database
    std::optional<core::RollbackRecord> rollback;   // the rollback in force, if any
    QDateTime readAt;                               // the clock's time when it was read
};

// Reads the state through the control plane and the engine registry. Runs on the thread that
// owns `db` (the worker's).
core::Result<ControlState> readControlState(core::Database& db, const core::Clock& clock);

} // namespace trackwatch::ui
