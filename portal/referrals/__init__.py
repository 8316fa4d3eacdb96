"""Referrals from a school to its local authority (the multi-agency referral form)."""
