"""The companies' portal: accounts registered with the e.firma, their sessions, and the
Servicios de Intercomunicación tabs (Generación de contraseña first)."""
