// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QProcessEnvironment>
#include <QString>

namespace trackwatch::core {

// The seed's PERFORMANCE_FLAGS.
enum class Flag {
    UseOptimizedQueries,
    UseMaterializedViews,
    EnableQueryCaching,
    EnableRateLimitCaching,
    EnableBatchWebhooks,
    EnableBatchIngestion,
    EnablePerformanceMonitoring,
    EnableSlowQueryAlerts,
};

struct FlagInfo {
    Flag flag;
    QString name;        // "useOptimizedQueries"
    QString environment; // "USE_OPTIMIZED_QUERIES"
    bool defaultOn;      // on unless the variable is exactly "false"; else on only if "true"
};

// The flags' definitions and their value from the environment, exactly as the seed reads
// them (`process.env.X !== 'false'` for default-on flags, `=== 'true'` for the others: the
// comparison is case-sensitive). Stateless and thread-safe.
class FeatureFlags {
public:
    static const QList<FlagInfo>& all();
    static const FlagInfo& info(Flag flag);
    static bool
    fromEnvironment(Flag flag,
                    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment());
};

} // namespace trackwatch::core
