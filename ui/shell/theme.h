// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace trackwatch::ui {

// The console's palettes. Both are built on the Fusion style so they look the same on every
// desktop; System follows the platform's palette.
enum class Theme { System, Light, Dark };

QString themeName(Theme theme); // "system", "light", "dark"
bool themeByName(const QString& name, Theme* out);

// Applies the theme to the whole application (style and palette).
void applyTheme(Theme theme);

} // namespace trackwatch::ui
