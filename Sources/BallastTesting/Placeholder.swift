public enum _PlaceholderBallastTesting {}
