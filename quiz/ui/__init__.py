"""Everything that draws: Rich renderables that never print; the caller prints them."""
