"""A partner agency's own pages: its referrals, starting a referral, and what the council sent back."""
