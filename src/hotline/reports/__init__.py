"""Reports: every contact-centre KPI computed once, exactly as docs/KPI.md defines it."""
