# vCard / iCalendar reader sources: target_sources(holdfast_platform PRIVATE ...)
