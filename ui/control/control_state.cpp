// SPDX-License-Identifier: MIT
#include "control/control_state.h"

namespace trackwatch::ui {

core::Result<ControlState> readControlState(core::Database& db, const core::Clock& clock) {
    core::ControlPlane control(db, clock);
    core::EngineRegistry registry(db, clock);
    ControlState state;
    // The version first: a change made while the rest is read shows up on the next poll.
    auto version = control.version();
    if (!version) {
        return version.error();
    }
    state.version = *version;
    auto flags = control.flags();
    if (!flags) {
        return flags.error();
    }
    state.flags = std::move(flags).value();
    auto rollouts = control.rollouts();
    if (!rollouts) {
        return rollouts.error();
    }
    state.rollouts = std::move(rollouts).value();
    auto breakers = control.breakers();
    if (!breakers) {
        return breakers.error();
    }
    state.breakers = std::move(breakers).value();
    auto engineBreakers = registry.breakerStates();
    if (!engineBreakers) {
        return engineBreakers.error();
    }
    state.engineBreakers = std::move(engineBreakers).value();
    auto engines = registry.engines();
    if (!engines) {
        return engines.error();
    }
    state.engines = std::move(engines).value();
    auto rollback = control.activeRollback();
    if (!rollback) {
        return rollback.error();
    }
    state.rollback = std::move(rollback).value();
    state.readAt = clock.now();
    return state;
}

} // namespace trackwatch::ui
