"""Knowledge base: articles with a role-owned lifecycle, and Chinese search for agents mid-call."""
