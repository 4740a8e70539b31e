"""Models on the customer tables: segments (RFM, clustering), CLV (BG/NBD, Gamma-Gamma), churn, baskets."""
