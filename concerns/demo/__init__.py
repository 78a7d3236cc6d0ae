"""Synthetic demo data for the hub (`manage.py seed_demo`). Nothing here describes real people,
places or organisations: areas use the unused postcode areas ZX and ZY, agencies are marked
"(demo)", NHS numbers come from the test range 999 000 0000 – 999 999 9999."""
