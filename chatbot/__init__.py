"""Reference chatbot on google-genai, instrumented with the Ollive SDK, and a traffic simulator."""
