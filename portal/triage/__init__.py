"""Council triage: the LA's incoming referrals queue, decisions, feedback to schools, reports and
the sharing policy for case summaries."""
