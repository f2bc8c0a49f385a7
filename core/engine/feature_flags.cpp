// SPDX-License-Identifier: MIT
#include "engine/feature_flags.h"

namespace trackwatch::core {

using namespace Qt::StringLiterals;

const QList<FlagInfo>& FeatureFlags::all() {
    static const QList<FlagInfo> flags = {
        {Flag::UseOptimizedQueries, u"useOptimizedQueries"_s, u"USE_OPTIMIZED_QUERIES"_s, true},
        {Flag::UseMaterializedViews, u"useMaterializedViews"_s, u"USE_MATERIALIZED_VIEWS"_s, true},
        {Flag::EnableQueryCaching, u"enableQueryCaching"_s, u"ENABLE_QUERY_CACHING"_s, true},
        {Flag::EnableRateLimitCaching, u"enableRateLimitCaching"_s, u"ENABLE_RATE_LIMIT_CACHING"_s,
         true},
        {Flag::EnableBatchWebhooks, u"enableBatchWebhooks"_s, u"ENABLE_BATCH_WEBHOOKS"_s, false},
        {Flag::EnableBatchIngestion, u"enableBatchIngestion"_s, u"ENABLE_BATCH_INGESTION"_s, false},
        {Flag::EnablePerformanceMonitoring, u"enablePerformanceMonitoring"_s,
         u"ENABLE_PERFORMANCE_MONITORING"_s, true},
        {Flag::EnableSlowQueryAlerts, u"enableSlowQueryAlerts"_s, u"ENABLE_SLOW_QUERY_ALERTS"_s,
         true},
    };
    return flags;
}

const FlagInfo& FeatureFlags::info(Flag flag) {
    return all().at(static_cast<qsizetype>(flag));
}

bool FeatureFlags::fromEnvironment(Flag flag, const QProcessEnvironment& env) {
    const FlagInfo& f = info(flag);
    const QString value = env.value(f.environment);
    return f.defaultOn ? value != u"false" : value == u"true";
}

} // namespace trackwatch::core
