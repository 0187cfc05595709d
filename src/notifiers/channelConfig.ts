/** A delivery channel from the app settings (TEAMS_WEBHOOK_URL / LOCAL_INBOX_URL). `url` is a secret: never logged, never returned. */
export interface ChannelConfig {
  id: string;
  type: 'teams';
  url: string;
  isDefault: boolean;
  /** Where the URL came from, for error messages (never the value). */
  setting: string;
}
