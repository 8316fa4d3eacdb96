"""School days: which days a school is open, for every clock that counts them.

A school's non-school days are weekends, England and Wales bank holidays, its council's calendar
(`CouncilHoliday`: term holidays and closures the LA admin sets) and the school's own closed days
(`SchoolClosure`: INSET days, closures), unless the school keeps its own term dates
(`SchoolTermDates.own_term_dates`, an academy with different terms), when the council's calendar
is left out. The transfer's 5-school-day clock (portal.transfers.school_days) and Operation
Encompass's 08:30 clock (portal.encompass.clock) both ask this area, which sits just above orgs.

Modules: models (the three tables), days (the calculation, one school or many at once).
"""
