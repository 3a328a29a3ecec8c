"""Secure handset program: factory PKI, IMEI ledger, signed builds, licences and royalties."""
