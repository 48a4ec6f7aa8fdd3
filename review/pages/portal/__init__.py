"""The companies' portal (patrones and desarrolladores): sign-in, registration and the
Servicios de Intercomunicación, one module per concern."""
