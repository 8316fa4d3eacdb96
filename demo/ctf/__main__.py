"""`.venv/bin/python -m demo.ctf`: write the demo's Common Transfer Files for Oakfield."""

from demo.ctf import write_demo_files

for path in write_demo_files():
    print(f"wrote {path}")
