"""Customers and the built-in BSS: customer 360, masking, identity verification, business operations."""
